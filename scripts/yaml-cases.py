#!/usr/bin/env python3
"""Random YAML texts for holding the direct reader (src/load/direct.rs) to saphyr.

Usage: scripts/yaml-cases.py SEED COUNT OUT.jsonl [WEIGHTS] [CLEAN]

Writes COUNT texts, one JSON string per line: block mappings and sequences (indentless ones
too), empty values, one-line flow collections with odd spacing, plain and quoted scalars drawn
from tricky tokens, comments at any column, several documents, and (for the texts that are not
"clean") random edits that break them. WEIGHTS is a comma-separated list of chances of a tricky
scalar (default 0,0.02,0.05,0.1,0.3); CLEAN the share of texts left unedited (default 0.5).
Then:

    AMBIENT_LINT_DIRECT_CASES=OUT.jsonl cargo test --release --lib \
        agrees_with_saphyr_on_generated_cases -- --ignored --nocapture

reads every text both ways and prints each one on which the two readings differ.
"""
import json, random, sys
seed = int(sys.argv[1]); N = int(sys.argv[2]); out = sys.argv[3]
R = random.Random(seed)
PLAIN = ["a","b","x","key","v1","true","null","~","1","-1","0x1f","1.5","<<","a b","a:b","a#b","-a","--a","a-","a - b",
         "http://x:80/y","a,b","a]","a[b","a}","a{b","a'b",'a"b',"a?","a!b","a&b","a*b","a|b","a>b","a%b","a@b","a`b",
         "---","...","--","-","a :b","x::y","::","a  b","é","a\\b","a\x7f","a\x0cb","_","=","<","a.b","-.5",".inf",
         "a -b","a --","x ---"]
BAD_PLAIN = ["?x",":x","@x","%x","`x","&a","*a","!t","|",">","a #b","a: b","a:","#",",x","[x","]x","{x","}x","- x","? x",": x"]
QCLEAN = ["a","b"," ","#",":",",","[","]","{","}","-","'",'"',"x y","  "]
QCHARS = ["a","b"," ","#",":",",","[","]","{","}","-","'",'"',"\\","x y","  ","é","''"]
def quoted():
    q = R.choice(["'",'"'])
    body = "".join(R.choice(QCLEAN if CLEAN[0] else QCHARS) for _ in range(R.randint(0,4)))
    if q == '"': body = body.replace('"', "'")
    else:
        if CLEAN[0] or R.random() < 0.8: body = body.replace("'", "")
    return q + body + q
W = [0.1]
CLEANP = float(sys.argv[5]) if len(sys.argv) > 5 else 0.5
WS = [float(x) for x in (sys.argv[4] if len(sys.argv)>4 else "0,0.02,0.05,0.1,0.3").split(",")]
SIMPLE = ["a","b","x","key","v1","true","null","1","name","app","80","-1","1.5"]
def plain(flow=False):
    if R.random() > W[0]: return R.choice(SIMPLE)
    r = R.random()
    if r < 0.05: return R.choice(BAD_PLAIN)
    return R.choice(PLAIN)
def scalar(flow=False):
    if R.random() > W[0] and R.random() < 0.8: return plain(flow)
    return quoted() if R.random() < 0.3 else plain(flow)
def sp(a=0,b=2):
    return " " * R.randint(a,b)
def flow(depth=0):
    if depth > 3 or R.random() < 0.3: return scalar(True)
    if R.random() < 0.5:
        items = [flow(depth+1) for _ in range(R.randint(0,3))]
        sep = "," + sp(0,2) if R.random() < 0.8 else sp(1,1)+","+sp(0,1)
        s = "[" + sp(0,1) + sep.join(items) + (R.choice(["",","]) if R.random()<0.1 and not CLEAN[0] else "") + sp(0,1) + "]"
    else:
        items = []
        for _ in range(R.randint(0,3)):
            k = scalar(True) if (CLEAN[0] or R.random() < 0.9) else flow(depth+1)
            v = flow(depth+1) if (CLEAN[0] or R.random() < 0.95) else ""
            items.append(k + sp(0,1) + R.choice([": ", ": ", ":  ", " : "] if CLEAN[0] else [": ", ": ", ":  ", ":", " : "]) + v)
        sep = "," + sp(0,2)
        s = "{" + sp(0,1) + sep.join(items) + sp(0,1) + "}"
    return s
def inline():
    r = R.random()
    if r < 0.6: return scalar()
    return flow()
def comment():
    r = R.random()
    if r < 0.8: return ""
    return R.choice(["  # c", " #c", "#c", " # a: b", "   # - x", " #"])
def filler(lines):
    r = R.random()
    if r < 0.1: lines.append(" " * R.randint(0,6))
    elif r < 0.2: lines.append(" " * R.randint(0,6) + "# " + R.choice(["c","- x","a: b",""]))
def key():
    r = R.random()
    if r < 0.75:
        k = plain()
    else:
        k = quoted()
    return k
def mapping(indent, depth, first_prefix=None):
    lines = []
    used = set()
    n = R.randint(1, 4)
    for i in range(n):
        k = key()
        if R.random() < 0.9 and k in used: k = k + str(i)
        used.add(k)
        colon = R.choice([":", ":", ":", " :", "  :"])
        pre = (" " * indent) if (i > 0 or first_prefix is None) else first_prefix
        if R.random() < (0.005 if CLEAN[0] else 0.05): pre = " " * max(0, indent + R.choice([-1, 1, 2]))
        r = R.random()
        if depth > 4 or r < 0.55:
            lines.append(pre + k + colon + " " + sp(0,1) + inline() + comment())
        elif r < 0.65:
            lines.append(pre + k + colon + R.choice(["", " ", "  "]) + comment())
        elif r < 0.8:
            lines.append(pre + k + colon + comment())
            filler(lines)
            lines += mapping(indent + R.randint(1, 3), depth + 1)
        elif r < 0.9:
            lines.append(pre + k + colon + comment())
            filler(lines)
            lines += sequence(indent + R.choice([0, 0, 1, 2]), depth + 1)
        else:
            lines.append(pre + k + colon + comment())
            lines += sequence(indent + R.randint(1,3), depth + 1)
        filler(lines)
    return lines
def sequence(indent, depth, first_prefix=None):
    lines = []
    for i in range(R.randint(1, 3)):
        pre = (" " * indent) if (i > 0 or first_prefix is None) else first_prefix
        if R.random() < (0.005 if CLEAN[0] else 0.05): pre = " " * max(0, indent + R.choice([-1, 1, 2]))
        dash = "-" + " " * R.randint(1, 3)
        col = indent + len(dash)
        r = R.random()
        if depth > 4 or r < 0.45:
            lines.append(pre + dash + inline() + comment())
        elif r < 0.65:
            lines += mapping(col, depth + 1, first_prefix=pre + dash)
        elif r < 0.75:
            lines += sequence(col, depth + 1, first_prefix=pre + dash)
        elif r < 0.9:
            lines.append(pre + "-" + R.choice(["", " ", "  "]) + comment())
            filler(lines)
            if R.random() < 0.5 or CLEAN[0]:
                lines += mapping(indent + R.randint(1, 3), depth + 1)
            elif R.random() < 0.7:
                lines += sequence(indent + R.randint(1, 3), depth + 1)
        elif not CLEAN[0]:
            lines.append(pre + "-" + comment())
        else:
            lines.append(pre + dash + scalar())
        filler(lines)
    return lines
CLEAN = [False]
def document():
    W[0] = R.choice(WS)
    ind = 0 if R.random() < 0.85 else R.randint(1, 3)
    lines = mapping(ind, 0) if R.random() < 0.7 else sequence(ind, 0)
    return "\n".join(lines)
INS = [" ", "\n", ":", "- ", "#", "'", '"', "[", "]", "{", "}", ",", "  ", "\n  ", "-", "?", "&", "*", "!", "|", ">", "%", "@", "\n---\n", "\n...\n", " #", ": ", "\n- ", "~", "\\", "\x0c"]
def mutate(t):
    for _ in range(R.randint(1, 3)):
        if not t: break
        at = R.randrange(len(t) + 1)
        op = R.random()
        if op < 0.2 and at < len(t): t = t[:at] + t[at+1:]
        elif op < 0.3:
            ls = t.split("\n"); i = R.randrange(len(ls))
            ls[i] = ls[i][2:] if ls[i].startswith("  ") else "  " + ls[i]
            t = "\n".join(ls)
        elif op < 0.35:
            ls = t.split("\n"); i = R.randrange(len(ls))
            ls.insert(i, ls[i]); t = "\n".join(ls)
        else: t = t[:at] + R.choice(INS) + t[at:]
    return t
with open(out, "w") as f:
    for _ in range(N):
        CLEAN[0] = R.random() < CLEANP
        docs = [document() for _ in range(1 if R.random() < 0.8 else R.randint(2, 3))]
        t = ""
        if R.random() < 0.2: t += R.choice(["---\n", "--- # c\n", "---  \n", "# top\n", "\n"])
        t += ("\n" + R.choice(["---", "--- # d", "---  "]) + "\n").join(docs)
        if R.random() < 0.9: t += "\n"
        if not CLEAN[0] and R.random() < 0.4: t = mutate(t)
        f.write(json.dumps(t) + "\n")
