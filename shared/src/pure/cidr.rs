//! CIDR blocks as integer ranges, for exact coverage questions ("does this rule cover the whole
//! subnet?") without a dependency.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// An IPv4 or IPv6 CIDR block, normalised to its network address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cidr {
    V4 { addr: u32, len: u8 },
    V6 { addr: u128, len: u8 },
}

/// The whole IPv4 space.
pub const ANY_V4: Cidr = Cidr::V4 { addr: 0, len: 0 };
/// The whole IPv6 space.
pub const ANY_V6: Cidr = Cidr::V6 { addr: 0, len: 0 };

/// An address family. IPv4 and IPv6 addresses never meet: a rule, entry or route of one family
/// neither allows nor blocks traffic of the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    /// The last address of the family's space, as an integer.
    pub fn max(self) -> u128 {
        match self {
            Family::V4 => u128::from(u32::MAX),
            Family::V6 => u128::MAX,
        }
    }

    /// The whole address space of the family.
    pub fn any(self) -> Cidr {
        match self {
            Family::V4 => ANY_V4,
            Family::V6 => ANY_V6,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        }
    }
}

/// An inclusive range of addresses of one family (IPv4 addresses are stored in the low 32 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AddrRange {
    pub family: Family,
    pub lo: u128,
    pub hi: u128,
}

impl AddrRange {
    /// The number of addresses, saturating at `u128::MAX` for all of IPv6.
    pub fn size(&self) -> u128 {
        (self.hi - self.lo).saturating_add(1)
    }

    /// The range as the fewest CIDR blocks that make it up exactly.
    pub fn to_cidrs(&self) -> Vec<Cidr> {
        let bits: u32 = match self.family {
            Family::V4 => 32,
            Family::V6 => 128,
        };
        let mut out = Vec::new();
        let mut lo = self.lo;
        loop {
            // The largest block aligned at `lo` that stays within the range.
            let mut k = if lo == 0 {
                bits
            } else {
                lo.trailing_zeros().min(bits)
            };
            let last = loop {
                let last = if k >= 128 {
                    u128::MAX
                } else {
                    lo + ((1u128 << k) - 1)
                };
                if last <= self.hi || k == 0 {
                    break last;
                }
                k -= 1;
            };
            let len = (bits - k) as u8;
            out.push(match self.family {
                Family::V4 => Cidr::V4 {
                    addr: lo as u32,
                    len,
                },
                Family::V6 => Cidr::V6 { addr: lo, len },
            });
            if last >= self.hi {
                break;
            }
            lo = last + 1;
        }
        out
    }
}

impl fmt::Display for AddrRange {
    /// Compact: the CIDR blocks when there are at most four, else `first-last`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cidrs = self.to_cidrs();
        if cidrs.len() <= 4 {
            let parts: Vec<String> = cidrs.iter().map(|c| c.to_string()).collect();
            return f.write_str(&parts.join(", "));
        }
        match self.family {
            Family::V4 => write!(
                f,
                "{}-{}",
                Ipv4Addr::from(self.lo as u32),
                Ipv4Addr::from(self.hi as u32)
            ),
            Family::V6 => write!(f, "{}-{}", Ipv6Addr::from(self.lo), Ipv6Addr::from(self.hi)),
        }
    }
}

/// Formats a list of disjoint ranges: `10.0.6.0/23, 10.0.9.0/24`.
pub fn format_ranges(ranges: &[AddrRange]) -> String {
    ranges
        .iter()
        .map(|r| r.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Sorts ranges and merges the overlapping and adjacent ones.
pub fn merge_ranges(mut v: Vec<AddrRange>) -> Vec<AddrRange> {
    v.sort();
    let mut out: Vec<AddrRange> = Vec::with_capacity(v.len());
    for r in v {
        match out.last_mut() {
            Some(last) if last.family == r.family && r.lo <= last.hi.saturating_add(1) => {
                last.hi = last.hi.max(r.hi);
            }
            _ => out.push(r),
        }
    }
    out
}

/// `want` minus the union of `minus` (same family), as sorted disjoint ranges.
pub fn subtract_ranges(want: &[AddrRange], minus: &[AddrRange]) -> Vec<AddrRange> {
    let minus = merge_ranges(minus.to_vec());
    let mut out = Vec::new();
    for w in merge_ranges(want.to_vec()) {
        let mut lo = w.lo;
        let mut done = false;
        for m in minus.iter().filter(|m| m.family == w.family) {
            if m.hi < lo || m.lo > w.hi {
                continue;
            }
            if m.lo > lo {
                out.push(AddrRange {
                    family: w.family,
                    lo,
                    hi: m.lo - 1,
                });
            }
            if m.hi >= w.hi {
                done = true;
                break;
            }
            lo = m.hi + 1;
        }
        if !done {
            out.push(AddrRange {
                family: w.family,
                lo,
                hi: w.hi,
            });
        }
    }
    out
}

/// The addresses an AWS-managed prefix list (S3, DynamoDB) can hold: the public space of the
/// family, without the private, shared, loopback, link-local and multicast blocks.
pub fn public_ranges(family: Family) -> Vec<AddrRange> {
    static V4: std::sync::OnceLock<Vec<AddrRange>> = std::sync::OnceLock::new();
    static V6: std::sync::OnceLock<Vec<AddrRange>> = std::sync::OnceLock::new();
    let cell = match family {
        Family::V4 => &V4,
        Family::V6 => &V6,
    };
    cell.get_or_init(|| compute_public_ranges(family)).clone()
}

fn compute_public_ranges(family: Family) -> Vec<AddrRange> {
    let private: &[&str] = match family {
        Family::V4 => &[
            "0.0.0.0/8",
            "10.0.0.0/8",
            "100.64.0.0/10",
            "127.0.0.0/8",
            "169.254.0.0/16",
            "172.16.0.0/12",
            "192.168.0.0/16",
            "224.0.0.0/3",
        ],
        Family::V6 => &["::/8", "fc00::/7", "fe80::/10", "ff00::/8"],
    };
    let minus: Vec<AddrRange> = private
        .iter()
        .filter_map(|c| Cidr::parse(c))
        .map(|c| c.range())
        .collect();
    subtract_ranges(&[family.any().range()], &minus)
}

impl Cidr {
    /// Parses `a.b.c.d/n` or `x::/n`. Host bits are cleared, as AWS does.
    pub fn parse(s: &str) -> Option<Cidr> {
        let (ip, len) = s.trim().split_once('/')?;
        let len: u8 = len.parse().ok()?;
        if let Ok(v4) = ip.parse::<Ipv4Addr>() {
            if len > 32 {
                return None;
            }
            let addr = u32::from(v4) & mask32(len);
            return Some(Cidr::V4 { addr, len });
        }
        let v6 = ip.parse::<Ipv6Addr>().ok()?;
        if len > 128 {
            return None;
        }
        Some(Cidr::V6 {
            addr: u128::from(v6) & mask128(len),
            len,
        })
    }

    pub fn family(&self) -> Family {
        match self {
            Cidr::V4 { .. } => Family::V4,
            Cidr::V6 { .. } => Family::V6,
        }
    }

    /// The block's addresses as a range of its family.
    pub fn range(&self) -> AddrRange {
        match *self {
            Cidr::V4 { addr, len } => AddrRange {
                family: Family::V4,
                lo: u128::from(addr),
                hi: u128::from(addr | !mask32(len)),
            },
            Cidr::V6 { addr, len } => AddrRange {
                family: Family::V6,
                lo: addr,
                hi: addr | !mask128(len),
            },
        }
    }

    pub fn prefix_len(&self) -> u8 {
        match self {
            Cidr::V4 { len, .. } | Cidr::V6 { len, .. } => *len,
        }
    }

    /// The first and last IPv4 address, or `None` for IPv6.
    pub fn v4_range(&self) -> Option<(u32, u32)> {
        match *self {
            Cidr::V4 { addr, len } => Some((addr, addr | !mask32(len))),
            Cidr::V6 { .. } => None,
        }
    }

    /// True when every address of `other` is in `self` (same family only).
    pub fn covers(&self, other: &Cidr) -> bool {
        match (*self, *other) {
            (Cidr::V4 { addr: a, len: la }, Cidr::V4 { addr: b, len: lb }) => {
                la <= lb && (b & mask32(la)) == a
            }
            (Cidr::V6 { addr: a, len: la }, Cidr::V6 { addr: b, len: lb }) => {
                la <= lb && (b & mask128(la)) == a
            }
            _ => false,
        }
    }

    /// True when the two blocks share at least one address.
    pub fn overlaps(&self, other: &Cidr) -> bool {
        self.covers(other) || other.covers(self)
    }

    /// The number of addresses AWS lets instances use in a subnet of this size (it reserves five).
    pub fn usable_v4_hosts(&self) -> Option<u64> {
        match *self {
            Cidr::V4 { len, .. } => Some((1u64 << (32 - u32::from(len))).saturating_sub(5)),
            Cidr::V6 { .. } => None,
        }
    }
}

fn mask32(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len))
    }
}

fn mask128(len: u8) -> u128 {
    if len == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(len))
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Cidr::V4 { addr, len } => write!(f, "{}/{}", Ipv4Addr::from(addr), len),
            Cidr::V6 { addr, len } => write!(f, "{}/{}", Ipv6Addr::from(addr), len),
        }
    }
}

/// Formats an inclusive IPv4 range compactly, as a CIDR when it is one.
pub fn format_v4_range(lo: u32, hi: u32) -> String {
    let size = u64::from(hi - lo) + 1;
    if size.is_power_of_two() && u64::from(lo) % size == 0 {
        let len = 32 - size.trailing_zeros();
        return format!("{}/{}", Ipv4Addr::from(lo), len);
    }
    format!("{}-{}", Ipv4Addr::from(lo), Ipv4Addr::from(hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Cidr {
        Cidr::parse(s).unwrap()
    }

    #[test]
    fn parses_and_normalises() {
        assert_eq!(c("10.0.1.7/24").to_string(), "10.0.1.0/24");
        assert_eq!(c("0.0.0.0/0"), ANY_V4);
        assert_eq!(c("2001:db8::1/32").to_string(), "2001:db8::/32");
        assert!(Cidr::parse("10.0.0.0/33").is_none());
        assert!(Cidr::parse("10.0.0.0").is_none());
        assert!(Cidr::parse("banana/8").is_none());
    }

    #[test]
    fn coverage_is_exact() {
        assert!(c("10.0.0.0/16").covers(&c("10.0.4.0/22")));
        assert!(!c("10.0.4.0/23").covers(&c("10.0.4.0/22")));
        assert!(c("10.0.4.0/22").overlaps(&c("10.0.4.0/23")));
        assert!(!c("10.0.0.0/16").covers(&c("::/0")));
        assert!(ANY_V4.covers(&c("192.168.1.1/32")));
    }

    #[test]
    fn ranges_split_into_the_fewest_cidrs() {
        let r = |a: &str, b: &str| {
            let (x, y) = (c(a).range(), c(b).range());
            AddrRange {
                family: x.family,
                lo: x.lo,
                hi: y.hi,
            }
        };
        assert_eq!(r("10.0.6.0/24", "10.0.7.0/24").to_string(), "10.0.6.0/23");
        assert_eq!(
            r("10.0.5.0/24", "10.0.7.0/24").to_string(),
            "10.0.5.0/24, 10.0.6.0/23"
        );
        assert_eq!(ANY_V4.range().to_string(), "0.0.0.0/0");
        assert_eq!(ANY_V6.range().to_string(), "::/0");
        assert_eq!(c("8000::/1").range().to_string(), "8000::/1");
        let odd = AddrRange {
            family: Family::V4,
            lo: 1,
            hi: 1000,
        };
        assert_eq!(odd.to_string(), "0.0.0.1-0.0.3.232");
        let merged = merge_ranges(vec![c("0.0.0.0/1").range(), c("128.0.0.0/1").range()]);
        assert_eq!(merged, vec![ANY_V4.range()]);
        assert_eq!(
            format_ranges(&subtract_ranges(
                &[c("10.0.4.0/22").range()],
                &[c("10.0.4.0/23").range()]
            )),
            "10.0.6.0/23"
        );
        let public = public_ranges(Family::V4);
        assert!(!public
            .iter()
            .any(|p| p.lo <= c("10.1.2.3/32").range().lo && c("10.1.2.3/32").range().lo <= p.hi));
        assert!(public.iter().any(
            |p| p.lo <= c("52.216.0.0/15").range().lo && c("52.216.0.0/15").range().hi <= p.hi
        ));
    }

    #[test]
    fn ranges_format_back_to_cidrs() {
        let (lo, hi) = c("10.0.4.0/22").v4_range().unwrap();
        assert_eq!(format_v4_range(lo, hi), "10.0.4.0/22");
        assert_eq!(format_v4_range(lo, lo + 2), "10.0.4.0-10.0.4.2");
        assert_eq!(c("10.0.0.0/26").usable_v4_hosts(), Some(59));
    }
}
