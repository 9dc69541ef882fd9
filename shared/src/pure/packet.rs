//! What a packet carries that filters match on: its protocol and port, and rectangles of
//! (address range, port range) that security groups and NACLs are evaluated over.

use crate::pure::cidr::AddrRange;

/// An IP protocol as security groups and NACLs name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Proto {
    All,
    Tcp,
    Udp,
    Icmp,
    /// Another protocol number.
    Other(u16),
}

impl Proto {
    /// What [`Proto::parse`] returns for a field it cannot read: a number no packet carries, so
    /// it matches nothing; a NACL entry that carries it is taken to match everything instead
    /// ([`crate::pure::nacl`]).
    pub const UNKNOWN: Proto = Proto::Other(u16::MAX);

    /// Parses the API's protocol field (`-1`, `tcp`, `6`, `udp`, `17`, `icmp`, `1`, `icmpv6`
    /// (protocol 58), or a protocol number 0-255 however written: `+6` and `06` are TCP).
    /// Anything else is [`Proto::UNKNOWN`].
    pub fn parse(s: &str) -> Proto {
        match s.trim().to_ascii_lowercase().as_str() {
            "all" => Proto::All,
            "tcp" => Proto::Tcp,
            "udp" => Proto::Udp,
            "icmp" => Proto::Icmp,
            "icmpv6" => Proto::Other(58),
            other => match other.parse::<i32>() {
                Ok(-1) => Proto::All,
                Ok(6) => Proto::Tcp,
                Ok(17) => Proto::Udp,
                Ok(1) => Proto::Icmp,
                Ok(n) => u16::try_from(n)
                    .ok()
                    .filter(|n| *n <= 255)
                    .map_or(Proto::UNKNOWN, Proto::Other),
                Err(_) => Proto::UNKNOWN,
            },
        }
    }

    /// False for [`Proto::UNKNOWN`].
    pub fn is_known(self) -> bool {
        self != Proto::UNKNOWN
    }

    /// True when a rule for `self` applies to a packet of protocol `packet`.
    pub fn matches(self, packet: Proto) -> bool {
        self == Proto::All || self == packet
    }

    pub fn has_ports(self) -> bool {
        matches!(self, Proto::Tcp | Proto::Udp)
    }

    pub fn name(self) -> String {
        match self {
            Proto::All => "all".into(),
            Proto::Tcp => "tcp".into(),
            Proto::Udp => "udp".into(),
            Proto::Icmp => "icmp".into(),
            Proto::Other(n) => format!("proto {n}"),
        }
    }
}

/// An inclusive port range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ports {
    pub from: u16,
    pub to: u16,
}

impl Ports {
    pub const ALL: Ports = Ports { from: 0, to: 65535 };
    /// The ephemeral range return traffic uses (AWS's recommendation for NACLs).
    pub const EPHEMERAL: Ports = Ports {
        from: 1024,
        to: 65535,
    };

    pub const fn one(p: u16) -> Ports {
        Ports { from: p, to: p }
    }

    pub const fn range(from: u16, to: u16) -> Ports {
        Ports { from, to }
    }

    /// From the API's optional, signed `FromPort`/`ToPort` (`-1` or absent means all).
    pub fn from_api(proto: Proto, from: Option<i32>, to: Option<i32>) -> Ports {
        if !proto.has_ports() {
            return Ports::ALL;
        }
        match (from, to) {
            (Some(f), Some(t)) if f >= 0 && t >= f => Ports {
                from: u16::try_from(f).unwrap_or(u16::MAX),
                to: u16::try_from(t).unwrap_or(u16::MAX),
            },
            _ => Ports::ALL,
        }
    }

    pub fn intersect(self, o: Ports) -> Option<Ports> {
        let from = self.from.max(o.from);
        let to = self.to.min(o.to);
        (from <= to).then_some(Ports { from, to })
    }
}

impl std::fmt::Display for Ports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.from == self.to {
            write!(f, "{}", self.from)
        } else {
            write!(f, "{}-{}", self.from, self.to)
        }
    }
}

/// A rectangle of (address range, port range) within one family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rect {
    pub(crate) lo: u128,
    pub(crate) hi: u128,
    pub(crate) ports: Ports,
}

/// `open` minus the rectangle `addrs` x `ports`; true when something was cut.
pub(crate) fn cut(open: &mut Vec<Rect>, addrs: &[AddrRange], ports: Ports) -> bool {
    let mut any = false;
    for a in addrs {
        let mut next = Vec::with_capacity(open.len() + 2);
        for r in open.drain(..) {
            let (ilo, ihi) = (r.lo.max(a.lo), r.hi.min(a.hi));
            let Some(ip) = r.ports.intersect(ports).filter(|_| ilo <= ihi) else {
                next.push(r);
                continue;
            };
            any = true;
            if r.lo < ilo {
                next.push(Rect { hi: ilo - 1, ..r });
            }
            if ihi < r.hi {
                next.push(Rect { lo: ihi + 1, ..r });
            }
            if r.ports.from < ip.from {
                next.push(Rect {
                    lo: ilo,
                    hi: ihi,
                    ports: Ports::range(r.ports.from, ip.from - 1),
                });
            }
            if ip.to < r.ports.to {
                next.push(Rect {
                    lo: ilo,
                    hi: ihi,
                    ports: Ports::range(ip.to + 1, r.ports.to),
                });
            }
        }
        *open = next;
    }
    any
}

/// True when some rectangle meets `addrs` x `ports`.
pub(crate) fn meets(open: &[Rect], addrs: &[AddrRange], ports: Ports) -> bool {
    open.iter().any(|r| {
        r.ports.intersect(ports).is_some() && addrs.iter().any(|a| a.lo <= r.hi && r.lo <= a.hi)
    })
}
