//! Shared by several rules (first written for endpoint_sg_not_open).

use crate::pure::cidr::Family;
use crate::pure::index::{Ports, Proto};
use crate::pure::reachability::{format_ports, open_to_anywhere};
use crate::pure::rules::context::Context;

pub(crate) fn openings(
    ctx: &Context<'_>,
    groups: &[&str],
) -> (Vec<(String, Vec<String>)>, Vec<String>) {
    let mut protos = vec![Proto::Tcp, Proto::Udp, Proto::Icmp];
    for r in groups.iter().flat_map(|g| ctx.view().rules_of(g)) {
        if matches!(r.proto, Proto::Other(_)) && !protos.contains(&r.proto) {
            protos.push(r.proto);
        }
    }
    let mut open = Vec::new();
    let mut undecided = Vec::new();
    for family in [Family::V4, Family::V6] {
        for proto in &protos {
            let o = open_to_anywhere(ctx.view(), groups, false, *proto, family);
            let what = |ports: &[Ports]| {
                if proto.has_ports() {
                    format!("{} {}", proto.name(), format_ports(ports))
                } else {
                    proto.name()
                }
            };
            if !o.open.is_empty() {
                open.push((format!("{} from {}", what(&o.open), family.any()), o.rules));
            }
            if !o.maybe.is_empty() {
                undecided.push(format!(
                    "whether {} from {} is admitted cannot be told: {}",
                    what(&o.maybe),
                    family.any(),
                    o.unknown.join("; ")
                ));
            }
        }
    }
    (open, undecided)
}
