//! Address ranges for `ipBlock` peers, their `except` entries and IP endpoints: an inclusive interval of one address
//! family, so that blocks with `except` holes can be cut into pieces that are each wholly inside
//! or outside every policy's block.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IpRange {
    pub v6: bool,
    pub start: u128,
    pub end: u128,
}

impl IpRange {
    /// `10.0.0.0/8`, `fd00::/8`, or a single address.
    pub fn parse(text: &str) -> Option<IpRange> {
        let (addr, len) = text.trim().split_once('/').unwrap_or((text.trim(), ""));
        let addr: IpAddr = addr.parse().ok()?;
        let (v6, bits, value) = match addr {
            IpAddr::V4(a) => (false, 32u32, u128::from(u32::from(a))),
            IpAddr::V6(a) => (true, 128u32, u128::from(a)),
        };
        let len: u32 = if len.is_empty() {
            bits
        } else {
            len.parse().ok()?
        };
        if len > bits {
            return None;
        }
        let host_bits = bits - len;
        let mask = if host_bits == 128 {
            u128::MAX
        } else {
            (1u128 << host_bits) - 1
        };
        let start = value & !mask;
        Some(IpRange {
            v6,
            start,
            end: start | mask,
        })
    }

    /// Every address of a family: `0.0.0.0/0` or `::/0`.
    pub fn everything(v6: bool) -> IpRange {
        IpRange {
            v6,
            start: 0,
            end: if v6 { u128::MAX } else { u128::from(u32::MAX) },
        }
    }

    pub fn contains(&self, other: &IpRange) -> bool {
        self.v6 == other.v6 && self.start <= other.start && other.end <= self.end
    }

    pub fn overlaps(&self, other: &IpRange) -> bool {
        self.v6 == other.v6 && self.start <= other.end && other.start <= self.end
    }

    /// Link-local and loopback addresses are never pod addresses: the kubelet probe source
    /// (169.254.7.127) lives there.
    pub fn outside_pod_network(&self) -> bool {
        let special = if self.v6 {
            ["fe80::/10", "::1/128", "fd16:9254:7127:1337::/64"]
        } else {
            ["169.254.0.0/16", "127.0.0.0/8", "127.0.0.0/8"]
        };
        special
            .iter()
            .filter_map(|s| IpRange::parse(s))
            .any(|r| r.contains(self))
    }

    /// The smallest list of CIDRs covering exactly this range.
    pub fn cidrs(&self) -> Vec<String> {
        let bits: u32 = if self.v6 { 128 } else { 32 };
        let mut out = Vec::new();
        let mut start = self.start;
        loop {
            // The largest aligned block starting at `start` that stays within the range.
            let mut size_bits = if start == 0 {
                bits
            } else {
                start.trailing_zeros().min(bits)
            };
            while size_bits > 0 {
                let last = if size_bits == 128 {
                    u128::MAX
                } else {
                    start + ((1u128 << size_bits) - 1)
                };
                if last <= self.end && last >= start {
                    break;
                }
                size_bits -= 1;
            }
            out.push(format!("{}/{}", self.address(start), bits - size_bits));
            let last = if size_bits == 128 {
                u128::MAX
            } else {
                start + ((1u128 << size_bits) - 1)
            };
            if last >= self.end {
                break;
            }
            start = last + 1;
        }
        out
    }

    fn address(&self, value: u128) -> String {
        if self.v6 {
            Ipv6Addr::from(value).to_string()
        } else {
            Ipv4Addr::from(value as u32).to_string()
        }
    }
}

impl fmt::Display for IpRange {
    /// One CIDR when the range is one, else `first-last`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cidrs = self.cidrs();
        if cidrs.len() == 1 {
            f.write_str(&cidrs[0])
        } else {
            write!(f, "{}-{}", self.address(self.start), self.address(self.end))
        }
    }
}

/// Cuts the address space of each family into the pieces the given ranges delimit: every
/// returned range is either wholly inside or wholly outside each input range.
pub fn elementary(ranges: &[IpRange]) -> Vec<IpRange> {
    let mut out = Vec::new();
    for v6 in [false, true] {
        let all = IpRange::everything(v6);
        let mut cuts: Vec<u128> = vec![all.start];
        let mut any = false;
        for r in ranges.iter().filter(|r| r.v6 == v6) {
            any = true;
            cuts.push(r.start);
            if r.end < all.end {
                cuts.push(r.end + 1);
            }
        }
        if !any && v6 {
            continue;
        }
        cuts.sort_unstable();
        cuts.dedup();
        for (i, &s) in cuts.iter().enumerate() {
            let e = cuts.get(i + 1).map_or(all.end, |n| n - 1);
            out.push(IpRange {
                v6,
                start: s,
                end: e,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_format_and_cut() {
        let r = IpRange::parse("10.1.2.3/8").unwrap();
        assert_eq!(r.to_string(), "10.0.0.0/8");
        assert!(
            IpRange::parse("169.254.7.127")
                .unwrap()
                .outside_pod_network()
        );
        assert!(!r.outside_pod_network());
        assert!(IpRange::parse("10.0.0.0/33").is_none());
        let parts = elementary(&[r, IpRange::parse("10.1.0.0/16").unwrap()]);
        let names: Vec<String> = parts.iter().map(|p| p.to_string()).collect();
        assert_eq!(
            names,
            vec![
                "0.0.0.0-9.255.255.255",
                "10.0.0.0/16",
                "10.1.0.0/16",
                "10.2.0.0-10.255.255.255",
                "11.0.0.0-255.255.255.255"
            ]
        );
        assert_eq!(
            IpRange::parse("0.0.0.0/0").unwrap().cidrs(),
            vec!["0.0.0.0/0".to_string()]
        );
        assert_eq!(parts[0].cidrs(), vec!["0.0.0.0/5", "8.0.0.0/7"]);
        assert_eq!(IpRange::parse("::/0").unwrap().to_string(), "::/0");
    }
}
