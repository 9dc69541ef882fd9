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
    fn ranges_format_back_to_cidrs() {
        let (lo, hi) = c("10.0.4.0/22").v4_range().unwrap();
        assert_eq!(format_v4_range(lo, hi), "10.0.4.0/22");
        assert_eq!(format_v4_range(lo, lo + 2), "10.0.4.0-10.0.4.2");
        assert_eq!(c("10.0.0.0/26").usable_v4_hosts(), Some(59));
    }
}
