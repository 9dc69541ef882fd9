//! Resolves what to audit: the Databricks workspaces and transit VPCs, from the manifest, from
//! `plaudit:*` tags, or (with neither) discovered from the state itself. The explicit source wins:
//! a manifest workspace hides a tagged one of the same name, and discovery runs only when neither
//! names a workspace. Every inference is written down in `notes` so the user can correct it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::pure::cidr::Cidr;
use crate::pure::deployment::{
    Deployment, Mode, Origin, ScopeError, TransitVpc, Workspace, TAG_MODES, TAG_ROLE, TAG_WORKSPACE,
};
use crate::pure::index::{Index, SgPeer};
use crate::pure::lifecycle::{self, Life};
use crate::pure::manifest::Manifest;
use crate::pure::model::tag;
use crate::pure::routing;
use crate::pure::services::{databricks_kind, ServiceKind, ServiceTable};
use crate::pure::snapshot::Input;
use crate::pure::view::View;

/// Resolves the deployment from the manifest, the tags and the state.
pub fn resolve(
    ix: &Index<'_>,
    manifest: Option<&Manifest>,
    region: Option<&str>,
    table: &ServiceTable,
) -> Deployment {
    let mut d = Deployment::default();
    if let Some(m) = manifest {
        for w in &m.workspaces {
            let mut modes: BTreeSet<Mode> = w.modes.iter().copied().collect();
            let mut problems = Vec::new();
            if modes.is_empty() {
                match default_modes(ix, &w.vpc_id, region, table) {
                    Ok(m) => {
                        modes = m;
                        d.notes.push(format!(
                            "workspace `{}` declares no modes; using {} from the endpoints in {}",
                            w.name,
                            join_modes(&modes),
                            w.vpc_id
                        ));
                    }
                    Err(why) => problems.push(format!(
                        "workspace `{}` declares no modes, and {why}",
                        w.name
                    )),
                }
            }
            d.workspaces.push(Workspace {
                name: Arc::from(w.name.as_str()),
                vpc_id: w.vpc_id.clone(),
                subnet_ids: w.subnet_ids.clone(),
                security_group_ids: w.security_group_ids.clone(),
                modes,
                compliance_security_profile: w.compliance_security_profile,
                legacy_hive_metastore: w.legacy_hive_metastore,
                custom_dns: w.custom_dns,
                origin: Origin::Manifest,
                problems,
            });
        }
        for t in &m.transit_vpcs {
            d.transit_vpcs.push(TransitVpc {
                vpc_id: t.vpc_id.clone(),
                client_cidrs: t
                    .client_cidrs
                    .iter()
                    .filter_map(|c| Cidr::parse(c))
                    .collect(),
                origin: Origin::Manifest,
            });
        }
        d.serverless_endpoint_services = m.serverless_endpoint_services.clone();
    }
    from_tags(ix, region, table, &mut d);
    let tags_unreadable = ix.snap.availability(Input::Vpcs).err();
    if d.workspaces.is_empty() {
        if let Some(f) = tags_unreadable {
            // Without a manifest, the tags are the declared scope: a workspace they declare (one
            // without Databricks endpoints, say) is found by nothing else.
            d.scope_errors.push(ScopeError {
                vpc_ids: candidate_vpcs(ix),
                message: format!(
                    "no manifest declares the workspaces, and the `{TAG_WORKSPACE}` tags on the VPCs that may declare them cannot be read: {f}"
                ),
            });
        }
        discover(ix, region, table, &mut d);
    } else {
        if let Some(f) = tags_unreadable {
            d.notes.push(format!(
                "the `plaudit:*` tags on the VPCs cannot be read ({f}): workspaces and transit VPCs declared only by tags are not audited"
            ));
        }
        note_undeclared(ix, region, table, &mut d);
    }
    d.workspaces.sort_by(|a, b| a.name.cmp(&b.name));
    d.transit_vpcs.sort_by(|a, b| a.vpc_id.cmp(&b.vpc_id));
    d
}

fn join_modes(modes: &BTreeSet<Mode>) -> String {
    modes
        .iter()
        .map(|m| m.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `back-end` when the VPC holds a Databricks relay or workspace endpoint, else `cmv`; or why
/// the modes cannot be told (the endpoints could not be read).
fn default_modes(
    ix: &Index<'_>,
    vpc_id: &str,
    region: Option<&str>,
    table: &ServiceTable,
) -> Result<BTreeSet<Mode>, String> {
    if let Err(f) = ix.snap.availability(Input::VpcEndpoints) {
        return Err(format!(
            "they cannot be derived from the endpoints in {vpc_id}: {f}"
        ));
    }
    let has_databricks = ix
        .endpoints(vpc_id)
        .iter()
        .any(|e| databricks_kind(table, region, &e.service_name).is_some());
    Ok(BTreeSet::from([if has_databricks {
        Mode::BackEnd
    } else {
        Mode::Cmv
    }]))
}

fn from_tags(ix: &Index<'_>, region: Option<&str>, table: &ServiceTable, d: &mut Deployment) {
    let mut vpcs: Vec<_> = ix.vpcs.values().collect();
    vpcs.sort_by(|a, b| a.vpc_id.cmp(&b.vpc_id));
    for vpc in vpcs {
        if tag(&vpc.tags, TAG_ROLE).is_some_and(|r| r.eq_ignore_ascii_case("transit"))
            && !d.transit_vpcs.iter().any(|t| t.vpc_id == vpc.vpc_id)
        {
            d.transit_vpcs.push(TransitVpc {
                vpc_id: vpc.vpc_id.to_string(),
                client_cidrs: Vec::new(),
                origin: Origin::Tags,
            });
            d.notes.push(format!(
                "{} is a transit VPC by its `{TAG_ROLE}=transit` tag (no client CIDRs declared)",
                vpc.vpc_id
            ));
        }
        let Some(names) = tag(&vpc.tags, TAG_WORKSPACE) else {
            continue;
        };
        for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if d.workspaces.iter().any(|w| &*w.name == name) {
                d.notes.push(format!(
                    "workspace `{name}` is in the manifest; the `{TAG_WORKSPACE}` tags on {} are ignored",
                    vpc.vpc_id
                ));
                continue;
            }
            let tagged = |tags: &[crate::pure::model::Tag]| {
                tag(tags, TAG_WORKSPACE).is_some_and(|v| v.split(',').any(|n| n.trim() == name))
            };
            let mut subnet_ids: Vec<String> = ix
                .subnets_by_vpc
                .get(vpc.vpc_id.as_str())
                .into_iter()
                .flatten()
                .filter(|s| tagged(&s.tags))
                .map(|s| s.subnet_id.to_string())
                .collect();
            subnet_ids.sort();
            let mut sg_ids: Vec<String> = ix
                .groups_in(&vpc.vpc_id)
                .iter()
                .filter(|g| tagged(&g.tags))
                .map(|g| g.group_id.to_string())
                .collect();
            sg_ids.sort();
            let (mut modes, mut problems) = tag_modes(&vpc.vpc_id, tag(&vpc.tags, TAG_MODES));
            if modes.is_empty() {
                match default_modes(ix, &vpc.vpc_id, region, table) {
                    Ok(m) => modes = m,
                    Err(why) => problems.push(format!(
                        "workspace `{name}` on {} has no `{TAG_MODES}` tag, and its modes {why}",
                        vpc.vpc_id
                    )),
                }
            }
            d.notes.push(format!(
                "workspace `{name}` from tags on {}: {} subnet(s), {} security group(s), modes {}",
                vpc.vpc_id,
                subnet_ids.len(),
                sg_ids.len(),
                join_modes(&modes)
            ));
            d.workspaces.push(Workspace {
                name: Arc::from(name),
                vpc_id: vpc.vpc_id.to_string(),
                subnet_ids,
                security_group_ids: sg_ids,
                modes,
                compliance_security_profile: false,
                legacy_hive_metastore: false,
                custom_dns: false,
                origin: Origin::Tags,
                problems,
            });
        }
    }
}

/// The modes of a `plaudit:modes` tag, and a problem for each value that is not a mode, worded
/// like the manifest's rejection of an unknown mode.
fn tag_modes(vpc_id: &str, value: Option<&str>) -> (BTreeSet<Mode>, Vec<String>) {
    let mut modes = BTreeSet::new();
    let mut problems = Vec::new();
    let Some(value) = value else {
        return (modes, problems);
    };
    for m in value.split(',').map(str::trim) {
        match Mode::parse(m) {
            Some(mode) => {
                modes.insert(mode);
            }
            None => problems.push(format!(
                "tag `{TAG_MODES}={value}` on {vpc_id}: unknown mode `{m}`, expected one of `cmv`, `back-end`, `front-end`, `serverless`, `isolated` (comma-separated)"
            )),
        }
    }
    (modes, problems)
}

/// VPCs holding Databricks endpoints, by VPC id.
fn databricks_vpcs<'s>(
    ix: &Index<'s>,
    region: Option<&str>,
    table: &ServiceTable,
) -> BTreeMap<&'s str, Vec<&'s crate::pure::model::VpcEndpoint>> {
    let mut out: BTreeMap<&str, Vec<_>> = BTreeMap::new();
    for (vpc, eps) in &ix.endpoints_by_vpc {
        for e in eps {
            if e.is_interface()
                && !e.is_gone()
                && databricks_kind(table, region, &e.service_name).is_some()
            {
                out.entry(*vpc).or_default().push(*e);
            }
        }
    }
    out
}

fn note_undeclared(ix: &Index<'_>, region: Option<&str>, table: &ServiceTable, d: &mut Deployment) {
    let declared: std::collections::HashSet<&str> = d
        .workspaces
        .iter()
        .map(|w| w.vpc_id.as_str())
        .chain(d.transit_vpcs.iter().map(|t| t.vpc_id.as_str()))
        .collect();
    let undeclared: Vec<String> = databricks_vpcs(ix, region, table)
        .keys()
        .filter(|v| !declared.contains(*v))
        .map(|v| v.to_string())
        .collect();
    for vpc in undeclared {
        d.notes.push(format!(
            "{vpc} holds Databricks endpoints but no workspace or transit VPC is declared in it; it is not audited (add it to the manifest)"
        ));
    }
}

/// Every VPC the readable inputs name: the VPCs that may hold a workspace discovery cannot see.
fn candidate_vpcs(ix: &Index<'_>) -> Vec<String> {
    let mut v: BTreeSet<&str> = ix.vpcs.keys().copied().collect();
    for keys in [
        ix.subnets_by_vpc.keys().copied().collect::<Vec<_>>(),
        ix.rts_by_vpc.keys().copied().collect(),
        ix.sgs_by_vpc.keys().copied().collect(),
        ix.endpoints_by_vpc.keys().copied().collect(),
        ix.nats_by_vpc.keys().copied().collect(),
        ix.igws_by_vpc.keys().copied().collect(),
    ] {
        v.extend(keys);
    }
    v.into_iter().map(str::to_string).collect()
}

fn discover(ix: &Index<'_>, region: Option<&str>, table: &ServiceTable, d: &mut Deployment) {
    if let Err(f) = ix.snap.availability(Input::VpcEndpoints) {
        // Discovery finds workspaces by their Databricks endpoints: without them it would find
        // none, and "nothing to audit" would read as a clean audit.
        d.scope_errors.push(ScopeError {
            vpc_ids: candidate_vpcs(ix),
            message: format!(
                "no workspace is declared (manifest or tags), and the endpoints that discovery finds workspaces by cannot be read: {f}"
            ),
        });
        return;
    }
    // What a discovered workspace's description rests on besides the endpoints: its subnets
    // leave out public and NAT subnets (route tables, NAT gateways), and its isolation is the
    // absence of internet and NAT gateways.
    let unreadable: Vec<String> = [
        Input::RouteTables,
        Input::NatGateways,
        Input::InternetGateways,
    ]
    .into_iter()
    .filter_map(|i| ix.snap.availability(i).err().map(|f| f.to_string()))
    .collect();
    let found = databricks_vpcs(ix, region, table);
    if found.is_empty() {
        d.notes.push(
            "no workspace is declared (manifest or tags) and no VPC holds an interface endpoint to a Databricks service of the region: nothing to audit"
                .into(),
        );
        return;
    }
    for (vpc_id, eps) in found {
        if d.transit_vpcs.iter().any(|t| t.vpc_id == vpc_id) {
            continue;
        }
        let kinds: BTreeSet<ServiceKind> = eps
            .iter()
            .filter_map(|e| databricks_kind(table, region, &e.service_name))
            .collect();
        // A VPC with only a workspace endpoint and no relay is a front-end (transit) VPC.
        if !kinds.contains(&ServiceKind::Relay) {
            d.transit_vpcs.push(TransitVpc {
                vpc_id: vpc_id.to_string(),
                client_cidrs: Vec::new(),
                origin: Origin::Discovered,
            });
            d.notes.push(format!(
                "{vpc_id} holds a Databricks workspace endpoint but no relay endpoint: treated as a front-end transit VPC (no client CIDRs known; declare them in a manifest)"
            ));
            continue;
        }
        // Every subnet holding an interface endpoint that exists (to any service: Databricks,
        // STS, Kinesis, S3, ...) is an endpoint subnet, not a workspace subnet.
        let endpoint_subnets: BTreeSet<&str> = ix
            .endpoints(vpc_id)
            .iter()
            .filter(|e| e.is_interface() && !e.is_gone())
            .flat_map(|e| e.subnet_ids.iter().map(|s| s.as_str()))
            .collect();
        let endpoint_sgs: BTreeSet<&str> = ix
            .endpoints(vpc_id)
            .iter()
            .filter(|e| e.is_interface() && !e.is_gone())
            .flat_map(|e| e.groups.iter().map(|g| g.group_id.as_str()))
            .collect();
        // Gone NAT gateways (deleted, deleting, failed) no longer occupy their subnet.
        let nats: Vec<_> = ix.nats_by_vpc.get(vpc_id).into_iter().flatten().collect();
        let nat_subnets: BTreeSet<&str> = nats
            .iter()
            .filter(|n| !lifecycle::nat(&n.state).is_gone())
            .map(|n| n.subnet_id.as_str())
            .collect();
        let mut subnet_ids: Vec<String> = ix
            .subnets_by_vpc
            .get(vpc_id)
            .into_iter()
            .flatten()
            .filter(|s| {
                !endpoint_subnets.contains(s.subnet_id.as_str())
                    && !nat_subnets.contains(s.subnet_id.as_str())
                    && !s.map_public_ip_on_launch
                    && !ix
                        .route_table_for(s)
                        .is_some_and(|rt| default_route_to_igw(ix, rt))
            })
            .map(|s| s.subnet_id.to_string())
            .collect();
        subnet_ids.sort();
        // Workspace security groups reference themselves (intra-cluster traffic).
        let mut sg_ids: Vec<String> = ix
            .groups_in(vpc_id)
            .iter()
            .filter(|g| {
                !endpoint_sgs.contains(g.group_id.as_str())
                    && ix
                        .rules_of(&g.group_id)
                        .iter()
                        .any(|r| !r.egress && r.peer == SgPeer::Group(&g.group_id))
            })
            .map(|g| g.group_id.to_string())
            .collect();
        sg_ids.sort();
        // Only gateways that exist decide the mode: a detached internet gateway or a deleted NAT
        // gateway is no path. One in a state plaudit does not know counts as present.
        let igw_states: Vec<(String, Life)> = ix
            .igws_by_vpc
            .get(vpc_id)
            .into_iter()
            .flatten()
            .flat_map(|g| {
                g.attachments
                    .iter()
                    .filter(|a| a.vpc_id == vpc_id)
                    .map(|a| {
                        (
                            g.internet_gateway_id.to_string(),
                            lifecycle::igw_attachment(&a.state),
                        )
                    })
            })
            .collect();
        let nat_states: Vec<(String, Life)> = nats
            .iter()
            .map(|n| (n.nat_gateway_id.to_string(), lifecycle::nat(&n.state)))
            .collect();
        let present: Vec<&(String, Life)> = igw_states
            .iter()
            .chain(&nat_states)
            .filter(|(_, l)| !l.is_gone())
            .collect();
        for (id, _) in present.iter().filter(|(_, l)| *l == Life::Unknown) {
            d.notes.push(format!(
                "{id} in {vpc_id} has a state plaudit does not know; discovery counts it as present, so the VPC is not taken as isolated"
            ));
        }
        let mut modes = BTreeSet::from([Mode::BackEnd]);
        let mut why = "it holds the Databricks relay endpoint".to_string();
        if present.is_empty() {
            modes.insert(Mode::Isolated);
            why.push_str(" and has no internet or NAT gateway");
            let gone: Vec<&str> = igw_states
                .iter()
                .chain(&nat_states)
                .map(|(id, _)| id.as_str())
                .collect();
            if !gone.is_empty() {
                why.push_str(&format!(" (only gone ones: {})", gone.join(", ")));
            }
        }
        let name = ix
            .vpcs
            .get(vpc_id)
            .and_then(|v| tag(&v.tags, "Name"))
            .unwrap_or(vpc_id)
            .to_string();
        d.notes.push(format!(
            "discovered workspace `{name}` in {vpc_id} with modes {} because {why}; subnets {} (the VPC's private subnets without interface endpoints or NAT gateways); security groups {} (self-referencing, not on the endpoints). Correct this with a manifest if it is wrong.",
            join_modes(&modes),
            if subnet_ids.is_empty() { "none".to_string() } else { subnet_ids.join(", ") },
            if sg_ids.is_empty() { "none".to_string() } else { sg_ids.join(", ") },
        ));
        d.workspaces.push(Workspace {
            name: Arc::from(name),
            vpc_id: vpc_id.to_string(),
            subnet_ids,
            security_group_ids: sg_ids,
            modes,
            compliance_security_profile: false,
            legacy_hive_metastore: false,
            custom_dns: false,
            origin: Origin::Discovered,
            problems: unreadable
                .iter()
                .map(|f| {
                    format!(
                        "its subnets and modes are discovered from inputs that cannot be read: {f}"
                    )
                })
                .collect(),
        });
    }
    // A transit VPC means front-end PrivateLink: audit it the way a manifest declaring the
    // workspaces `front-end` would. Discovery cannot tell which workspaces it serves, so it
    // assumes all of them.
    if !d.transit_vpcs.is_empty() {
        let transits: Vec<&str> = d.transit_vpcs.iter().map(|t| t.vpc_id.as_str()).collect();
        if d.workspaces.is_empty() {
            d.notes.push(format!(
                "transit VPC(s) {} found, but no workspace VPC (one with a Databricks relay endpoint): nothing can be audited through them; declare the workspaces in a manifest",
                transits.join(", ")
            ));
        }
        for w in d
            .workspaces
            .iter_mut()
            .filter(|w| w.origin == Origin::Discovered)
        {
            if w.modes.insert(Mode::FrontEnd) {
                d.notes.push(format!(
                    "discovered workspace `{}` is taken as front-end too, served by transit VPC(s) {} (a guess: discovery cannot see which workspaces a front-end endpoint serves)",
                    w.name,
                    transits.join(", ")
                ));
            }
        }
    }
}

/// A public subnet in the discovery sense: all of the public IPv4 space goes to an attached internet
/// gateway (a default route, or routes that add up to one). A subnet that sends only some public
/// ranges there is still a private subnet that PL-SUB-004 then reports.
fn default_route_to_igw(ix: &Index<'_>, rt: &crate::pure::model::RouteTable) -> bool {
    let v4: Vec<_> = routing::public_routes(View::whole(ix), rt)
        .into_iter()
        .filter(|p| p.family == crate::pure::cidr::Family::V4 && !p.ranges.is_empty())
        .collect();
    !v4.is_empty()
        && v4.iter().all(|p| {
            matches!(p.egress, routing::Egress::InternetGateway(_))
                && p.route.is_some_and(|r| r.target().starts_with("igw-"))
        })
}
