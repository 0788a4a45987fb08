-- Drives `ambient-lint server` through Neovim's own LSP client, headless (tests/editors.rs).
-- Written for Neovim 0.7 (Debian 12's), whose client API later versions keep: start_client,
-- buf_attach_client, buf_request_sync, apply_workspace_edit, stop_client.
--
-- The plan (a JSON file named by $AMBIENT_LINT_PLAN) says which file to open, where a fixable
-- finding is and what its fix is called, where to ask for a definition and a hover, and where to
-- write what the editor saw. The Rust test judges that; this script only acts and records.

local plan = vim.fn.json_decode(table.concat(vim.fn.readfile(os.getenv('AMBIENT_LINT_PLAN')), '\n'))
local seen = {}

local function finish(code)
  vim.fn.writefile({ vim.fn.json_encode(seen) }, plan.out)
  vim.cmd(code == 0 and 'qa!' or 'cquit ' .. code)
end

-- The buffer's diagnostics as [line, column, code], 0-based as the protocol has them.
local function diagnostics(buf)
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
    table.insert(out, { d.lnum, d.col, code })
  end
  table.sort(out, function(a, b)
    if a[1] ~= b[1] then return a[1] < b[1] end
    if a[2] ~= b[2] then return a[2] < b[2] end
    return a[3] < b[3]
  end)
  return out
end

local function has_finding(buf)
  for _, d in ipairs(diagnostics(buf)) do
    if d[1] == plan.finding.line and d[3] == plan.finding.code then
      return true
    end
  end
  return false
end

local function request(buf, method, params)
  local answers, err = vim.lsp.buf_request_sync(buf, method, params, 20000)
  if not answers then
    error(method .. ': ' .. tostring(err))
  end
  for _, answer in pairs(answers) do
    if answer.err then
      error(method .. ': ' .. vim.inspect(answer.err))
    end
    return answer.result
  end
end

local function position_in(file, line, character)
  return {
    textDocument = { uri = vim.uri_from_fname(file) },
    position = { line = line, character = character },
  }
end

local function run()
  vim.cmd('edit ' .. vim.fn.fnameescape(plan.file))
  local buf = vim.api.nvim_get_current_buf()
  local exited = nil
  local client_id = vim.lsp.start_client({
    name = 'ambient-lint',
    cmd = { plan.bin, 'server' },
    root_dir = plan.root,
    on_exit = function(code, signal)
      exited = { code = code, signal = signal }
    end,
  })
  assert(client_id, 'the client did not start')
  vim.lsp.buf_attach_client(buf, client_id)
  local client = vim.lsp.get_client_by_id(client_id)

  -- Diagnostics arrive after initialize and didOpen.
  assert(vim.wait(30000, function() return has_finding(buf) end, 20),
    'no diagnostic at the finding: ' .. vim.inspect(diagnostics(buf)))
  seen.diagnostics = diagnostics(buf)
  seen.encoding = client.offset_encoding

  local actions = request(buf, 'textDocument/codeAction', {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    range = {
      start = { line = plan.finding.line, character = plan.finding.character },
      ['end'] = { line = plan.finding.line, character = plan.finding.character },
    },
    context = { diagnostics = {} },
  }) or {}
  seen.actions = {}
  local fix = nil
  for _, a in ipairs(actions) do
    table.insert(seen.actions, a.title)
    if not fix and vim.startswith(a.title, plan.finding.fix_title) then
      fix = a
    end
  end
  assert(fix, 'no action titled ' .. plan.finding.fix_title)
  -- Applied as the user's choice would apply it: the buffer changes, the client sends
  -- didChange, the server lints the unsaved text and publishes again.
  vim.lsp.util.apply_workspace_edit(fix.edit, client.offset_encoding)
  seen.fixed_text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n') .. '\n'
  assert(vim.wait(30000, function() return not has_finding(buf) end, 20),
    'the finding stayed after the fix: ' .. vim.inspect(diagnostics(buf)))
  seen.diagnostics_after = diagnostics(buf)

  local d = plan.definition
  local target = request(buf, 'textDocument/definition', position_in(d.file, d.line, d.character))
  if target and target[1] then
    target = target[1]
  end
  if target then
    seen.definition = { file = vim.uri_to_fname(target.uri), line = target.range.start.line }
  end

  local h = plan.hover
  local hover = request(buf, 'textDocument/hover', position_in(h.file, h.line, h.character))
  seen.hover = hover and hover.contents and hover.contents.value or vim.NIL

  -- shutdown, then exit: the server must leave with status 0.
  vim.lsp.stop_client(client_id)
  assert(vim.wait(10000, function() return exited ~= nil end, 20), 'the server did not exit')
  seen.exit = exited
end

local ok, err = pcall(run)
if not ok then
  seen.error = tostring(err)
  finish(1)
else
  finish(0)
end
