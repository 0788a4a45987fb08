//! SPIFFE identities as AuthorizationPolicy writes them (`<trust-domain>/ns/<ns>/sa/<sa>`), and
//! Istio's string matching: exact, `*` (any non-empty), `prefix*`, `*suffix`.

/// A principal that names one namespace and one ServiceAccount. The trust domain is None when
/// the pattern leaves it open (`*/ns/x/sa/y`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal<'a> {
    pub trust_domain: Option<&'a str>,
    pub namespace: &'a str,
    pub service_account: &'a str,
}

/// Parses `td/ns/N/sa/S` or `*/ns/N/sa/S`. Patterns that leave the namespace or the account open
/// give None: they do not name one account.
pub fn parse_principal(value: &str) -> Option<Principal<'_>> {
    let (td, rest) = if let Some(rest) = value.strip_prefix('*') {
        (None, rest.strip_prefix('/').unwrap_or(rest))
    } else {
        let (td, rest) = value.split_once('/')?;
        (Some(td), rest)
    };
    let rest = rest.strip_prefix("ns/")?;
    let (ns, rest) = rest.split_once('/')?;
    let sa = rest.strip_prefix("sa/")?;
    if ns.is_empty() || sa.is_empty() || ns.contains('*') || sa.contains(['*', '/']) {
        return None;
    }
    if td.is_some_and(|t| t.contains('*')) {
        return None;
    }
    Some(Principal {
        trust_domain: td,
        namespace: ns,
        service_account: sa,
    })
}

/// The namespace a principal pattern names, even when the account part is a wildcard
/// (`cluster.local/ns/ecom/sa/*`).
pub fn principal_namespace(value: &str) -> Option<&str> {
    let at = value.find("/ns/")?;
    let rest = &value[at + 4..];
    let ns = rest.split('/').next()?;
    let has_sa = rest[ns.len()..].starts_with("/sa/");
    (has_sa && !ns.is_empty() && !ns.contains('*')).then_some(ns)
}

/// Istio's string match used in every AuthorizationPolicy string field.
pub fn wildcard_match(pattern: &str, value: &str) -> bool {
    // Istio's order: presence, then a leading `*` (suffix match), then a trailing one (prefix).
    if pattern == "*" {
        return !value.is_empty();
    }
    if let Some(suffix) = pattern.strip_prefix('*') {
        return value.ends_with(suffix);
    }
    if let Some(prefix) = pattern.strip_suffix('*') {
        return value.starts_with(prefix);
    }
    pattern == value
}

pub fn is_wildcard(pattern: &str) -> bool {
    pattern.starts_with('*') || pattern.ends_with('*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_parse_only_when_they_name_one_account() {
        let p = parse_principal("cluster.local/ns/ecom/sa/ecom-service").unwrap();
        assert_eq!(
            (p.trust_domain, p.namespace, p.service_account),
            (Some("cluster.local"), "ecom", "ecom-service")
        );
        let p = parse_principal("*/ns/ecom/sa/x").unwrap();
        assert_eq!(p.trust_domain, None);
        assert!(parse_principal("cluster.local/ns/ecom/sa/*").is_none());
        assert!(parse_principal("cluster.local/ns/*/sa/x").is_none());
        assert!(parse_principal("*").is_none());
        assert!(parse_principal("ecom-service").is_none());
        assert_eq!(
            principal_namespace("cluster.local/ns/ecom/sa/*"),
            Some("ecom")
        );
    }

    #[test]
    fn wildcards_follow_istio() {
        assert!(wildcard_match("*", "a"));
        assert!(!wildcard_match("*", ""));
        assert!(wildcard_match("prod-*", "prod-eu"));
        assert!(wildcard_match("*-system", "kube-system"));
        assert!(!wildcard_match("prod-*", "dev-eu"));
        assert!(wildcard_match("infra", "infra"));
    }
}
