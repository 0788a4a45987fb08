//! AL4xx: what Gateway API routes expose through north-south gateways (§7).

pub mod al401_route_matches_any_method;
pub mod al403_internal_path_exposed;

use crate::load::node::FieldPath;
use crate::model::Model;
use crate::model::resources::{Gateway, HttpRoute, ParentRef, PathMatch, RouteMatch, RouteRule};

/// A request declared internal: `POST /inven/stock/reserve`, `/admin/*` (any method, any path
/// below `/admin/`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InternalPath {
    pub method: Option<String>,
    pub path: String,
    /// A trailing `*`: the path and everything below it.
    pub subtree: bool,
}

impl InternalPath {
    pub fn parse(spec: &str) -> Result<InternalPath, String> {
        let spec = spec.trim();
        let (method, path) = match spec.split_once(char::is_whitespace) {
            Some((m, p)) => (Some(m.trim().to_ascii_uppercase()), p.trim()),
            None => (None, spec),
        };
        if let Some(m) = &method
            && !crate::model::resources::HTTP_METHODS.contains(&m.as_str())
        {
            return Err(format!(
                "`{m}` is not an HTTP method in internal path `{spec}`"
            ));
        }
        if !path.starts_with('/') {
            return Err(format!(
                "internal path `{spec}` must start with `/` (form: `[METHOD] /path` or `/prefix/*`)"
            ));
        }
        let (path, subtree) = match path.strip_suffix('*') {
            Some(p) => (p.trim_end_matches('/').to_string(), true),
            None => (path.to_string(), false),
        };
        Ok(InternalPath {
            method,
            path,
            subtree,
        })
    }

    pub fn display(&self) -> String {
        let path = if self.subtree {
            format!("{}/*", self.path)
        } else {
            self.path.clone()
        };
        match &self.method {
            Some(m) => format!("{m} {path}"),
            None => path,
        }
    }

    /// Whether a route match admits some request this declaration calls internal.
    pub fn exposed_by(&self, m: &Match) -> bool {
        if let (Some(mine), Some(theirs)) = (&self.method, m.method) {
            if mine != theirs {
                return false;
            }
        }
        match m.path {
            PathMatch::Exact(e) => {
                if self.subtree {
                    element_prefix(&self.path, e)
                } else {
                    trim(e) == trim(&self.path)
                }
            }
            PathMatch::Prefix(p) => {
                element_prefix(p, &self.path) || (self.subtree && element_prefix(&self.path, p))
            }
            // Regular expressions are implementation-specific: no claim either way.
            PathMatch::Regex(_) => false,
        }
    }
}

fn trim(p: &str) -> &str {
    let t = p.trim_end_matches('/');
    if t.is_empty() { "/" } else { t }
}

/// Gateway API PathPrefix: element-wise, a trailing `/` ignored; `/` matches everything.
pub fn element_prefix(prefix: &str, path: &str) -> bool {
    let prefix = trim(prefix);
    let path = trim(path);
    if prefix == "/" {
        return true;
    }
    path == prefix || (path.starts_with(prefix) && path.as_bytes().get(prefix.len()) == Some(&b'/'))
}

/// A route match with the Gateway API defaults applied.
pub struct Match<'r> {
    pub path: &'r PathMatch,
    pub method: Option<&'r str>,
    /// Where a finding about this match points.
    pub location: FieldPath,
}

static SLASH: std::sync::LazyLock<PathMatch> =
    std::sync::LazyLock::new(|| PathMatch::Prefix("/".into()));

/// The matches of a rule; a rule without `matches` is one match: PathPrefix `/`, any method.
pub fn matches(rule: &RouteRule) -> Vec<Match<'_>> {
    if rule.matches.is_empty() {
        return vec![Match {
            path: &SLASH,
            method: None,
            location: rule.path.clone(),
        }];
    }
    rule.matches.iter().map(|m| one_match(m)).collect()
}

fn one_match(m: &RouteMatch) -> Match<'_> {
    Match {
        path: m.path_match.as_ref().map_or(&*SLASH, |(p, _)| p),
        method: m.method.as_ref().map(|s| s.value.as_str()),
        location: m
            .path_match
            .as_ref()
            .map_or(m.path.clone(), |(_, p)| p.clone()),
    }
}

pub fn describe(path: &PathMatch) -> String {
    match path {
        PathMatch::Exact(v) => format!("Exact `{v}`"),
        PathMatch::Prefix(v) => format!("PathPrefix `{v}`"),
        PathMatch::Regex(v) => format!("RegularExpression `{v}`"),
    }
}

/// The north-south Gateways (in the input, class other than `istio-waypoint`) a route attaches
/// to. Parents not in the input say nothing about exposure, and stay out.
pub fn exposing_gateways<'m>(
    model: &'m Model,
    route: &'m HttpRoute,
) -> Vec<(&'m ParentRef, &'m Gateway)> {
    route
        .parent_refs
        .iter()
        .filter(|p| p.is_gateway())
        .filter_map(|p| model.gateway(&p.namespace, &p.name).map(|g| (p, g)))
        .filter(|(_, g)| !g.is_waypoint())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m<'a>(path: &'a PathMatch, method: Option<&'a str>) -> Match<'a> {
        Match {
            path,
            method,
            location: FieldPath::root(),
        }
    }

    #[test]
    fn prefixes_match_by_path_element() {
        assert!(element_prefix("/inven/stock", "/inven/stock/reserve"));
        assert!(element_prefix("/inven/stock/", "/inven/stock"));
        assert!(!element_prefix("/inven/st", "/inven/stock"));
        assert!(element_prefix("/", "/anything"));
    }

    #[test]
    fn internal_paths_against_matches() {
        let reserve = InternalPath::parse("POST /inven/stock/reserve").unwrap();
        let prefix = PathMatch::Prefix("/inven/stock".into());
        assert!(reserve.exposed_by(&m(&prefix, None)));
        assert!(reserve.exposed_by(&m(&prefix, Some("POST"))));
        assert!(!reserve.exposed_by(&m(&prefix, Some("GET"))));
        let health = PathMatch::Exact("/inven/health".into());
        assert!(!reserve.exposed_by(&m(&health, None)));

        let admin = InternalPath::parse("/admin/*").unwrap();
        assert!(admin.exposed_by(&m(&PathMatch::Prefix("/".into()), Some("GET"))));
        assert!(admin.exposed_by(&m(&PathMatch::Prefix("/admin/users".into()), None)));
        assert!(admin.exposed_by(&m(&PathMatch::Exact("/admin/x".into()), None)));
        assert!(!admin.exposed_by(&m(&PathMatch::Prefix("/administrator".into()), None)));
        assert!(!admin.exposed_by(&m(&PathMatch::Regex("/admin/.*".into()), None)));
    }

    #[test]
    fn internal_path_specs_are_validated() {
        assert!(InternalPath::parse("FETCH /x").is_err());
        assert!(InternalPath::parse("x").is_err());
        assert_eq!(
            InternalPath::parse("get /a").unwrap().method.as_deref(),
            Some("GET")
        );
    }
}
