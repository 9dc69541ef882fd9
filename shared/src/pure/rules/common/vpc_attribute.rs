//! Shared by several rules (first written for vpc_dns_hostnames).

use crate::pure::finding::ResourceType;
use crate::pure::model::{BoolValue, VpcAttributes};
use crate::pure::rules::context::Context;
use crate::pure::rules::outcome::{for_each_ws, Outcome};

pub(crate) fn attribute_check(
    ctx: &Context<'_>,
    attr: &str,
    label: &str,
    get: fn(&VpcAttributes) -> Option<&BoolValue>,
) -> Vec<Outcome> {
    let mut out = Vec::new();
    let mut vpcs = ctx.vpcs();
    let mut known: std::collections::HashSet<&str> = vpcs.iter().map(|(v, _)| *v).collect();
    for f in ctx.front_end_vpcs() {
        if known.insert(f.vpc_id) {
            vpcs.push((f.vpc_id, f.serves));
        }
    }
    for (vpc, ws) in vpcs {
        let o = match ctx.view().vpc_attributes(vpc).map(get) {
            None => Outcome::error(
                ResourceType::Vpc,
                vpc,
                format!("vpc-attributes.json has no entry for {vpc}, so its {label} setting is unknown."),
            ),
            Some(None) => Outcome::error(
                ResourceType::Vpc,
                vpc,
                format!("vpc-attributes.json does not give {attr} for {vpc}."),
            ),
            Some(Some(b)) => Outcome::verdict(
                b.value,
                ResourceType::Vpc,
                vpc,
                if b.value {
                    format!("{vpc} has {label} enabled.")
                } else {
                    format!("{vpc} has {label} disabled, so Databricks endpoints cannot use private DNS and workspace creation is rejected.")
                },
            )
            .expect(format!("{attr}=true"), format!("{attr}={}", b.value)),
        };
        out.extend(for_each_ws(&ws, o));
    }
    out
}
