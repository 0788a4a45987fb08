//! Sets of (protocol, port) as NetworkPolicy speaks of them: per protocol, sorted disjoint
//! inclusive ranges of 1–65535.

use std::fmt;

/// The protocols NetworkPolicy ports name (docs/platform.md §8).
pub const PROTOCOLS: [&str; 3] = ["TCP", "UDP", "SCTP"];
pub const MIN_PORT: u16 = 1;
pub const MAX_PORT: u16 = 65535;

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct PortSet {
    /// Per protocol of [`PROTOCOLS`], sorted, disjoint, non-adjacent ranges. A fixed array, not
    /// a map: sets are made and merged for every connection judged.
    ranges: [Vec<(u16, u16)>; 3],
}

/// The index of a protocol in [`PROTOCOLS`]; None for any other (NetworkPolicy knows no other).
fn index(protocol: &str) -> Option<usize> {
    PROTOCOLS
        .iter()
        .position(|p| p.eq_ignore_ascii_case(protocol))
}

impl PortSet {
    pub fn empty() -> PortSet {
        PortSet::default()
    }

    /// Every port of every protocol.
    pub fn all() -> PortSet {
        PortSet {
            ranges: std::array::from_fn(|_| vec![(MIN_PORT, MAX_PORT)]),
        }
    }

    pub fn all_of(protocol: &str) -> PortSet {
        let mut s = PortSet::empty();
        s.add_range(protocol, MIN_PORT, MAX_PORT);
        s
    }

    pub fn single(protocol: &str, port: u16) -> PortSet {
        let mut s = PortSet::empty();
        s.add_range(protocol, port, port);
        s
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.iter().all(Vec::is_empty)
    }

    pub fn is_all(&self) -> bool {
        self.ranges
            .iter()
            .all(|r| r.as_slice() == [(MIN_PORT, MAX_PORT)])
    }

    pub fn add_range(&mut self, protocol: &str, start: u16, end: u16) {
        if let Some(i) = index(protocol) {
            add(&mut self.ranges[i], start, end);
        }
    }

    pub fn union_with(&mut self, other: &PortSet) {
        for (mine, theirs) in self.ranges.iter_mut().zip(&other.ranges) {
            for &(s, e) in theirs {
                add(mine, s, e);
            }
        }
    }

    pub fn intersect(&self, other: &PortSet) -> PortSet {
        let mut out = PortSet::empty();
        for (i, (a, b)) in self.ranges.iter().zip(&other.ranges).enumerate() {
            for &(s1, e1) in a {
                for &(s2, e2) in b {
                    let (s, e) = (s1.max(s2), e1.min(e2));
                    if s <= e {
                        add(&mut out.ranges[i], s, e);
                    }
                }
            }
        }
        out
    }

    /// The ports of `self` not in `other`.
    pub fn minus(&self, other: &PortSet) -> PortSet {
        let mut out = PortSet::empty();
        for (i, (a, holes)) in self.ranges.iter().zip(&other.ranges).enumerate() {
            for &(s, e) in a {
                let mut start = u32::from(s);
                let end = u32::from(e);
                for &(hs, he) in holes {
                    let (hs, he) = (u32::from(hs), u32::from(he));
                    if he < start || hs > end {
                        continue;
                    }
                    if hs > start {
                        add(&mut out.ranges[i], start as u16, (hs - 1) as u16);
                    }
                    start = he + 1;
                }
                if start <= end {
                    add(&mut out.ranges[i], start as u16, end as u16);
                }
            }
        }
        out
    }

    pub fn contains(&self, protocol: &str, port: u16) -> bool {
        index(protocol)
            .is_some_and(|i| self.ranges[i].iter().any(|&(s, e)| (s..=e).contains(&port)))
    }

    /// Whether some port of `protocol` is in the set.
    pub fn has_protocol(&self, protocol: &str) -> bool {
        index(protocol).is_some_and(|i| !self.ranges[i].is_empty())
    }

    /// Protocol → ranges, for output, protocols in alphabetical order.
    pub fn ranges(&self) -> impl Iterator<Item = (&str, &[(u16, u16)])> {
        let mut order: Vec<usize> = (0..PROTOCOLS.len()).collect();
        order.sort_by_key(|&i| PROTOCOLS[i]);
        order
            .into_iter()
            .filter(|&i| !self.ranges[i].is_empty())
            .map(|i| (PROTOCOLS[i], self.ranges[i].as_slice()))
    }
}

/// Adds a range to a sorted list of disjoint ranges, merging what touches it.
fn add(list: &mut Vec<(u16, u16)>, start: u16, end: u16) {
    if start > end {
        return;
    }
    let at = list.partition_point(|&(s, _)| s < start);
    list.insert(at, (start, end));
    let mut merged: Vec<(u16, u16)> = Vec::with_capacity(list.len());
    for &(s, e) in list.iter() {
        match merged.last_mut() {
            Some(last) if u32::from(s) <= u32::from(last.1) + 1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    *list = merged;
}

impl fmt::Display for PortSet {
    /// `all`, or `TCP 80,8080-8090; UDP 53`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_all() {
            return f.write_str("all");
        }
        if self.is_empty() {
            return f.write_str("none");
        }
        let parts: Vec<String> = self
            .ranges()
            .map(|(p, r)| {
                let list: Vec<String> = r
                    .iter()
                    .map(|&(s, e)| {
                        if s == e {
                            s.to_string()
                        } else {
                            format!("{s}-{e}")
                        }
                    })
                    .collect();
                format!("{p} {}", list.join(","))
            })
            .collect();
        f.write_str(&parts.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_merge_and_intersect() {
        let mut s = PortSet::empty();
        s.add_range("tcp", 80, 80);
        s.add_range("TCP", 81, 90);
        s.add_range("TCP", 100, 200);
        assert_eq!(s.to_string(), "TCP 80-90,100-200");
        let t = PortSet::single("TCP", 150);
        assert_eq!(s.intersect(&t).to_string(), "TCP 150");
        assert!(s.contains("TCP", 85) && !s.contains("UDP", 85) && !s.contains("TCP", 95));
        assert!(PortSet::all().is_all());
        let mut u = PortSet::all_of("TCP");
        u.union_with(&PortSet::all_of("UDP"));
        assert!(!u.is_all());
        u.union_with(&PortSet::all_of("SCTP"));
        assert!(u.is_all());
        assert_eq!(s.minus(&t).to_string(), "TCP 80-90,100-149,151-200");
        assert_eq!(
            PortSet::all_of("UDP").minus(&PortSet::all()).to_string(),
            "none"
        );
        assert_eq!(s.minus(&PortSet::all_of("UDP")), s);
    }
}
