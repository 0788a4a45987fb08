//! Service addresses written in values: `http://inventory-service.inventory:8000/api`,
//! `jdbc:postgresql://ecom-db.ecom.svc.cluster.local:5432/ecomdb`, `redis:6379`,
//! `kafka-0.kafka.mq.svc:9092,kafka-1.kafka.mq.svc:9092`.
//!
//! Only the names cluster DNS answers for a Service count (`svc`, `svc.ns`, `svc.ns.svc`,
//! `svc.ns.svc.DOMAIN`, and `pod.svc.ns.svc[.DOMAIN]` for a pod of a headless Service). A single
//! word counts only with a port or a scheme, so that values such as `true`, `info` or `redis` (a
//! product name as often as a host) never read as an address.

/// An address that may name a Service; whether it does is the model's to say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceAddress {
    pub name: String,
    /// None: a short name, resolved in the namespace of the pod that reads it.
    pub namespace: Option<String>,
    /// The port written, else the default of the scheme; None when neither says.
    pub port: Option<i64>,
    pub scheme: Option<String>,
}

/// The port a scheme's clients connect to when the address names none: the registered port of
/// the protocol (IANA service names), which is what the usual clients default to.
const SCHEME_PORTS: &[(&str, i64)] = &[
    ("http", 80),
    ("https", 443),
    ("ws", 80),
    ("wss", 443),
    ("postgres", 5432),
    ("postgresql", 5432),
    ("mysql", 3306),
    ("redis", 6379),
    ("mongodb", 27017),
    ("amqp", 5672),
    ("amqps", 5671),
    ("nats", 4222),
];

/// Hosts that are never a Service, whatever the model holds.
const LOCAL_HOSTS: &[&str] = &["localhost"];

/// The addresses in a value: one, or several separated by commas (`host1:9092,host2:9092`).
/// `cluster_domains` are the DNS suffixes of the cluster (`cluster.local`).
pub fn service_addresses(value: &str, cluster_domains: &[&str]) -> Vec<ServiceAddress> {
    let value = value.trim();
    // Several hosts after one scheme (`mongodb://a:27017,b:27017/db`) share it.
    let mut scheme = None;
    let mut out = Vec::new();
    for piece in value.split(',') {
        if let Some(a) = parse_address(piece.trim(), &mut scheme, cluster_domains)
            && !out.contains(&a)
        {
            out.push(a);
        }
    }
    out
}

fn parse_address(
    piece: &str,
    shared_scheme: &mut Option<String>,
    cluster_domains: &[&str],
) -> Option<ServiceAddress> {
    if piece.is_empty() || piece.contains(char::is_whitespace) {
        return None;
    }
    let (scheme, rest) = match piece.split_once("://") {
        Some((s, rest)) => {
            // `jdbc:postgresql://...`: the protocol is the last part.
            let s = s.rsplit(':').next().unwrap_or(s).to_ascii_lowercase();
            let valid = s.starts_with(|c: char| c.is_ascii_alphabetic())
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
            if !valid {
                return None;
            }
            *shared_scheme = Some(s.clone());
            (Some(s), rest)
        }
        None => (shared_scheme.clone(), piece),
    };
    // gRPC's `dns:[//dns-server]/host:port`: the host follows the authority.
    let rest = match scheme.as_deref() {
        Some("dns") if piece.contains("://") => rest.split_once('/')?.1,
        _ => rest,
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = match host_port.rsplit_once(':') {
        Some((h, p)) => (h, Some(port_number(p)?)),
        None => (host_port, None),
    };
    let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    let labels: Vec<&str> = host.split('.').collect();
    // A Service's name starts with a letter (RFC 1035 label), which also leaves out addresses.
    if !labels.iter().all(|l| dns_label(l))
        || !labels[0].starts_with(|c: char| c.is_ascii_lowercase())
    {
        return None;
    }
    let is_domain = |rest: &[&str]| cluster_domains.contains(&rest.join(".").as_str());
    let (name, namespace) = match labels.as_slice() {
        [name] => {
            if (port.is_none() && scheme.is_none()) || LOCAL_HOSTS.contains(name) {
                return None;
            }
            (*name, None)
        }
        [name, namespace] | [name, namespace, "svc"] => (*name, Some(*namespace)),
        [name, namespace, "svc", domain @ ..] if is_domain(domain) => (*name, Some(*namespace)),
        // A pod of a headless Service: `pod.svc.ns.svc.cluster.local`.
        [_, name, namespace, "svc"] => (*name, Some(*namespace)),
        [_, name, namespace, "svc", domain @ ..] if is_domain(domain) => (*name, Some(*namespace)),
        _ => return None,
    };
    let port = port.or_else(|| {
        let s = scheme.as_deref()?;
        SCHEME_PORTS.iter().find(|(n, _)| *n == s).map(|(_, p)| *p)
    });
    Some(ServiceAddress {
        name: name.to_string(),
        namespace: namespace.map(str::to_string),
        port,
        scheme,
    })
}

/// A port written after a host: digits only, 1-65535.
fn port_number(text: &str) -> Option<i64> {
    if text.is_empty() || text.len() > 5 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().filter(|p| (1..=65535).contains(p))
}

/// An RFC 1123 label: lowercase letters, digits and `-`, not at either end, at most 63.
fn dns_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOMAINS: &[&str] = &["cluster.local"];

    fn one(value: &str) -> Option<(String, Option<String>, Option<i64>)> {
        let all = service_addresses(value, DOMAINS);
        assert!(all.len() <= 1, "{value}: {all:?}");
        all.into_iter()
            .next()
            .map(|a| (a.name, a.namespace, a.port))
    }

    fn addr(
        name: &str,
        ns: Option<&str>,
        port: Option<i64>,
    ) -> Option<(String, Option<String>, Option<i64>)> {
        Some((name.to_string(), ns.map(str::to_string), port))
    }

    #[test]
    fn urls_and_host_ports_name_services() {
        assert_eq!(
            one("jdbc:postgresql://ecom-db.ecom.svc.cluster.local:5432/ecomdb"),
            addr("ecom-db", Some("ecom"), Some(5432))
        );
        assert_eq!(
            one("http://inventory-service.inventory:8000"),
            addr("inventory-service", Some("inventory"), Some(8000))
        );
        assert_eq!(one("redis:6379"), addr("redis", None, Some(6379)));
        assert_eq!(
            one("postgres://user:pw@db:5432/x"),
            addr("db", None, Some(5432))
        );
        assert_eq!(
            one("amqp://rabbit.mq.svc"),
            addr("rabbit", Some("mq"), Some(5672))
        );
        assert_eq!(
            one("inventory-service.inventory"),
            addr("inventory-service", Some("inventory"), None)
        );
        assert_eq!(
            one("http://Web.Shop.svc.cluster.local./index.html?x=1"),
            addr("web", Some("shop"), Some(80))
        );
        assert_eq!(
            one("grpc://checkout.shop:5050"),
            addr("checkout", Some("shop"), Some(5050))
        );
        assert_eq!(
            one("dns:///cart.shop:7070"),
            addr("cart", Some("shop"), Some(7070))
        );
        assert_eq!(one("tcp://cache"), addr("cache", None, None));
        assert_eq!(
            one("kafka-0.kafka.mq.svc.cluster.local:9092"),
            addr("kafka", Some("mq"), Some(9092))
        );
    }

    #[test]
    fn lists_of_hosts_give_each() {
        let all = service_addresses("kafka-0.kafka.mq.svc:9092, zk.mq:2181", DOMAINS);
        let names: Vec<(&str, Option<i64>)> =
            all.iter().map(|a| (a.name.as_str(), a.port)).collect();
        assert_eq!(names, [("kafka", Some(9092)), ("zk", Some(2181))]);
        let shared = service_addresses("mongodb://a.db:27018,b.db/x", DOMAINS);
        assert_eq!(shared[1].port, Some(27017), "the scheme carries over");
    }

    #[test]
    fn words_hosts_outside_the_cluster_and_addresses_are_not_services() {
        for value in [
            "localhost:8080",
            "http://localhost",
            "true",
            "debug",
            "info",
            "redis",
            "10.0.0.1:5432",
            "[::1]:80",
            "api.example.com",
            "https://api.github.com",
            "db.shop.svc.example.com",
            "mysql:5.7",
            "redis:0",
            "redis:99999",
            "a:b:c",
            "/etc/config.yaml",
            "-Dfoo.bar=baz -Xmx512m",
            "hello world:80",
            "",
            "1.2.3",
            "web-.shop",
        ] {
            assert_eq!(one(value), None, "{value}");
        }
        // A two-label name is only a candidate; the model decides (`example.com` is no Service
        // `example` in a namespace `com` unless the input holds one).
        assert_eq!(
            one("http://example.com"),
            addr("example", Some("com"), Some(80))
        );
    }

    #[test]
    fn other_cluster_domains_are_honoured() {
        let all = service_addresses("web.shop.svc.corp.example:80", &["corp.example"]);
        assert_eq!(all[0].name, "web");
        assert!(service_addresses("web.shop.svc.corp.example:80", DOMAINS).is_empty());
    }
}
