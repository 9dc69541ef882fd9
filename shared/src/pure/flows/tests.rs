use std::collections::BTreeSet;

use crate::pure::engine::{audit, AuditOptions, Report};
use crate::pure::evidence::{FlowPath, HopName, HopVerdict, PathVerdict};
use crate::pure::finding::Status;
use crate::pure::manifest::Manifest;
use crate::pure::model::NetworkAclEntry;
use crate::pure::rules::{FAILING, RULES};
use crate::pure::snapshot::Snapshot;
use crate::synth::{acl_entry, Estate, Ids};

fn report(e: &Estate) -> Report {
    audit(
        &e.snap,
        &AuditOptions {
            manifest: Some(&e.manifest),
            ..AuditOptions::default()
        },
    )
}

fn flow<'r>(r: &'r Report, source: &str, destination: &str, ports: &str) -> &'r FlowPath {
    r.flows
        .iter()
        .find(|p| p.source == source && p.destination == destination && p.ports == ports)
        .map(|p| p.as_ref())
        .unwrap_or_else(|| {
            panic!(
                "no flow {source} -> {destination} on {ports}; flows: {:?}",
                r.flows
                    .iter()
                    .map(|p| format!(
                        "{} -> {} {} {}",
                        p.source, p.destination, p.protocol, p.ports
                    ))
                    .collect::<Vec<_>>()
            )
        })
}

fn hop(p: &FlowPath, name: HopName) -> &crate::pure::evidence::Hop {
    p.hops.iter().find(|h| h.hop == name).unwrap()
}

/// Where the paths and the findings must agree: a failing flow is blocked at a hop whose
/// resource has a failing finding of a rule that judges flows, for the flow's workspace; and a
/// failing finding that carries paths carries a failing one, unless the rule asks for more than
/// the flows need (the NACL rules ask for ALLOW-all-first orderings, PL-RT-001 for a NAT or an
/// appliance rather than any route to the internet) — returned for the caller to check.
fn disagreements(r: &Report) -> Vec<String> {
    let mut out = Vec::new();
    for p in r.flows.iter().filter(|p| p.verdict == PathVerdict::Fail) {
        let Some(h) = p.blocking_hop() else {
            out.push(format!("flow {} fails with no blocking hop", p.id));
            continue;
        };
        assert_eq!(h.verdict, HopVerdict::Blocked, "{p:?}");
        let judged = r.findings.iter().any(|f| {
            f.status == Status::Fail
                && f.workspaces.iter().any(|w| *w == p.workspace)
                && h.resources.iter().any(|x| x == f.resource_id.as_str())
                && f.paths.iter().any(|q| q.id == p.id)
        });
        if !judged {
            out.push(format!(
                "flow {} -> {} {} {} of {} is blocked at {} ({:?}: {}) but no failing finding on those resources carries it",
                p.source,
                p.destination,
                p.protocol,
                p.ports,
                p.workspace,
                h.hop.as_str(),
                h.resources,
                h.detail
            ));
        }
    }
    out
}

/// Failing findings of flow rules whose paths all pass: the rule asks for more than the flows.
fn stricter(r: &Report) -> BTreeSet<String> {
    r.findings
        .iter()
        .filter(|f| {
            f.status == Status::Fail
                && !f.paths.is_empty()
                && f.paths.iter().all(|p| p.verdict != PathVerdict::Fail)
        })
        .map(|f| f.rule_id.to_string())
        .collect()
}

#[test]
fn a_compliant_backend_workspace_has_its_required_flows_and_all_pass() {
    let e = Estate::backend();
    let r = report(&e);
    let id = Ids::new(0);
    let [a, b] = &id.ws_subnets;
    // Intra-cluster both ways and both protocols, the endpoints on their ports, the internet.
    for (dst, ports) in [
        (b.as_str(), "0-65535"),
        (id.rest.as_str(), "443"),
        (id.rest.as_str(), "8443-8451"),
        (id.relay.as_str(), "6666"),
        ("0.0.0.0/0", "443"),
    ] {
        let p = flow(&r, a, dst, ports);
        assert_eq!(p.verdict, PathVerdict::Pass, "{p:#?}");
        assert_eq!(p.workspace.as_ref(), e.manifest.workspaces[0].name.as_str());
        assert_eq!(p.hops.len(), 7);
    }
    let intra: Vec<&str> = r
        .flows
        .iter()
        .filter(|p| p.source == *a && p.destination == *b)
        .map(|p| p.protocol.as_str())
        .collect();
    assert_eq!(intra, ["tcp", "udp"]);
    // Ids are unique and stable.
    let ids: BTreeSet<&str> = r.flows.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids.len(), r.flows.len());
    assert_eq!(report(&e).flows, r.flows);
    // The endpoint flow: the workspace group's rule ids, the NACL entries, the local route, the
    // endpoint's two subnets' NACL, the endpoint group.
    let p = flow(&r, a, &id.rest, "443");
    let sg = hop(p, HopName::SrcSgEgress);
    assert_eq!(sg.resources, [id.ws_sg.as_str()]);
    assert!(
        !sg.entries.is_empty() && sg.entries.iter().all(|x| x.starts_with("sgr-")),
        "{sg:?}"
    );
    assert!(sg.uncovered.is_empty());
    let nacl = hop(p, HopName::SrcNaclOut);
    assert_eq!(nacl.resources, [id.acl.as_str()]);
    assert!(nacl.entries.iter().all(|x| x.starts_with("rule ")) && !nacl.entries.is_empty());
    assert_eq!(hop(p, HopName::Route).entries, ["local"]);
    assert_eq!(hop(p, HopName::DstSgIngress).resources, [id.ep_sg.as_str()]);
    // The internet flow leaves through the NAT gateway.
    let p = flow(&r, a, "0.0.0.0/0", "443");
    assert_eq!(hop(p, HopName::Route).entries, [id.nat.as_str()]);
    assert_eq!(hop(p, HopName::DstSgIngress).verdict, HopVerdict::NotOnPath);
    assert!(disagreements(&r).is_empty());
}

#[test]
fn an_isolated_workspace_reaches_s3_through_the_prefix_list_and_not_the_internet() {
    let r = report(&Estate::isolated());
    let id = Ids::new(0);
    assert!(r.flows.iter().all(|p| p.destination != "0.0.0.0/0"));
    let p = flow(&r, &id.ws_subnets[0], crate::synth::S3_PREFIX_LIST, "443");
    assert_eq!(p.verdict, PathVerdict::Pass, "{p:#?}");
    assert_eq!(hop(p, HopName::Route).entries, [id.s3.as_str()]);
    // PL-RT-004 judged it on the route table, PL-SG-004 on the group.
    for rule in ["PL-RT-004", "PL-SG-004"] {
        let f = r.findings.iter().find(|f| f.rule_id == rule).unwrap();
        assert!(f.paths.iter().any(|q| q.id == p.id), "{rule}");
    }
}

#[test]
fn a_missing_relay_rule_blocks_6666_at_the_workspace_group_with_the_uncovered_remainder() {
    let mut e = Estate::backend();
    e.drop_relay_egress();
    let r = report(&e);
    let id = Ids::new(0);
    let p = flow(&r, &id.ws_subnets[0], &id.relay, "6666");
    assert_eq!(p.verdict, PathVerdict::Fail);
    let h = p.blocking_hop().unwrap();
    assert_eq!(h.hop, HopName::SrcSgEgress);
    assert!(h.entries.is_empty(), "no rule admits any of it: {h:?}");
    // The relay's ENIs are in both endpoint subnets: each is a remainder.
    assert_eq!(
        h.uncovered,
        ["tcp 6666 to 10.0.28.0/26", "tcp 6666 to 10.0.28.64/26"]
    );
    assert!(h.detail.contains("no egress on tcp 6666"), "{}", h.detail);
    // Only PL-SG-006 judged it among the group's findings; it fails and carries it.
    let f = r
        .findings
        .iter()
        .find(|f| f.rule_id == "PL-SG-006" && f.resource_id == id.ws_sg.as_str())
        .unwrap();
    assert_eq!(f.status, Status::Fail);
    assert!(f.paths.iter().any(|q| q.id == p.id));
    assert!(f.paths.iter().all(|q| q.ports == "6666"));
    let sg4 = r
        .findings
        .iter()
        .find(|f| f.rule_id == "PL-SG-004" && f.resource_id == id.ws_sg.as_str())
        .unwrap();
    assert!(sg4.paths.iter().all(|q| q.ports == "443") && !sg4.paths.is_empty());
    // The same path object is shared, not copied.
    let shared = r.flows.iter().find(|q| q.id == p.id).unwrap();
    assert!(f.paths.iter().any(|q| std::sync::Arc::ptr_eq(q, shared)));
    assert!(disagreements(&r).is_empty(), "{:#?}", disagreements(&r));
}

#[test]
fn a_partial_rule_is_an_entry_and_the_rest_is_the_uncovered_remainder() {
    let mut e = Estate::backend();
    let id = Ids::new(0);
    // The workspace group may reach only 8443-8444 of the control-plane range.
    for r in e.sg_rules_mut().iter_mut() {
        if r.is_egress && r.group_id == id.ws_sg.as_str() && r.from_port == Some(8443) {
            r.to_port = Some(8444);
        }
    }
    let r = report(&e);
    let p = flow(&r, &id.ws_subnets[0], &id.rest, "8443-8451");
    let h = p.blocking_hop().unwrap_or_else(|| panic!("{p:#?}"));
    assert_eq!(h.hop, HopName::SrcSgEgress);
    assert!(h.entries.iter().any(|x| x.starts_with("sgr-")), "{h:?}");
    assert!(
        h.uncovered
            .iter()
            .all(|u| u.starts_with("tcp 8445-8451 to 10.0.28.")),
        "{h:?}"
    );
}

#[test]
fn rules_without_ids_are_named_by_group_protocol_ports_and_peer() {
    let e = Estate::backend().rules_inside_groups();
    let r = report(&e);
    let id = Ids::new(0);
    let p = flow(&r, &id.ws_subnets[0], &id.relay, "6666");
    let sg = hop(p, HopName::SrcSgEgress);
    assert!(!sg.entries.is_empty());
    for x in &sg.entries {
        assert!(x.starts_with(&format!("{}: ", id.ws_sg)), "{x}");
        assert!(!x.starts_with("sgr-"));
    }
}

fn set_acl(e: &mut Estate, entries: Vec<NetworkAclEntry>) {
    for a in e.acls_mut() {
        a.entries = entries.clone();
    }
}

#[test]
fn a_nacl_names_the_deny_entry_or_the_final_deny() {
    let mut e = Estate::backend();
    let id = Ids::new(0);
    // Outbound 443 denied by rule 50 (not an ephemeral port, so return traffic is unaffected).
    let deny_443 = vec![
        acl_entry(50, true, "6", Some((443, 443)), "0.0.0.0/0", "deny"),
        acl_entry(100, true, "-1", None, "0.0.0.0/0", "allow"),
        acl_entry(100, false, "-1", None, "0.0.0.0/0", "allow"),
    ];
    set_acl(&mut e, deny_443);
    let r = report(&e);
    let p = flow(&r, &id.ws_subnets[0], &id.rest, "443");
    let h = p.blocking_hop().unwrap();
    assert_eq!(h.hop, HopName::SrcNaclOut);
    assert_eq!(h.resources, [id.acl.as_str()]);
    assert_eq!(h.entries, ["rule 50"]);
    // The REST endpoint's ENIs are in both endpoint subnets: the blocked part towards each.
    assert_eq!(
        h.uncovered,
        ["tcp 443 10.0.28.0/26", "tcp 443 10.0.28.64/26"]
    );
    // 6666 passes the same NACL through rule 100.
    let ok = flow(&r, &id.ws_subnets[0], &id.relay, "6666");
    assert_eq!(hop(ok, HopName::SrcNaclOut).entries, ["rule 100"]);
    assert_eq!(ok.verdict, PathVerdict::Pass, "{ok:#?}");
    assert!(disagreements(&r).is_empty(), "{:#?}", disagreements(&r));

    // Outbound allows, inbound allows nothing: the return traffic meets the final deny.
    set_acl(
        &mut e,
        vec![acl_entry(100, true, "-1", None, "0.0.0.0/0", "allow")],
    );
    let r = report(&e);
    let p = flow(&r, &id.ws_subnets[0], &id.rest, "443");
    let h = p.blocking_hop().unwrap();
    assert_eq!(h.hop, HopName::DstNaclIn);
    assert_eq!(h.entries, ["rule *"]);
    assert_eq!(hop(p, HopName::SrcNaclReturnIn).entries, ["rule *"]);
    assert!(disagreements(&r).is_empty(), "{:#?}", disagreements(&r));
}

#[test]
fn a_missing_default_route_blocks_the_internet_flow_at_the_route_table() {
    let mut e = Estate::backend();
    let id = Ids::new(0);
    for t in e.route_tables_mut() {
        if t.route_table_id == id.rt_private.as_str() {
            t.routes
                .retain(|r| r.destination_cidr_block.as_deref() != Some("0.0.0.0/0"));
        }
    }
    let r = report(&e);
    let p = flow(&r, &id.ws_subnets[0], "0.0.0.0/0", "443");
    let h = p.blocking_hop().unwrap();
    assert_eq!(h.hop, HopName::Route);
    assert_eq!(h.resources, [id.rt_private.as_str()]);
    assert!(!h.uncovered.is_empty(), "{h:?}");
    assert!(h.uncovered.iter().all(|u| !u.contains("10.0.0.0/16")));
    let f = r
        .findings
        .iter()
        .find(|f| f.rule_id == "PL-RT-001" && f.resource_id == id.rt_private.as_str())
        .unwrap();
    assert_eq!(f.status, Status::Fail);
    assert!(f.paths.iter().any(|q| q.id == p.id));
    assert!(disagreements(&r).is_empty(), "{:#?}", disagreements(&r));
}

#[test]
fn a_hop_whose_input_was_not_collected_cannot_be_decided() {
    let mut e = Estate::backend();
    e.not_collected(crate::pure::snapshot::Input::NetworkAcls);
    let r = report(&e);
    assert!(!r.flows.is_empty());
    for p in &r.flows {
        assert_eq!(p.verdict, PathVerdict::Error, "{p:#?}");
        assert_eq!(hop(p, HopName::SrcNaclOut).verdict, HopVerdict::Unknown);
    }
}

#[test]
fn front_end_clients_are_traced_to_the_front_end_endpoint() {
    let e = Estate::backend().with_transit(0, &["192.168.0.0/16"]);
    let mut e = e;
    e.manifest.workspaces[0]
        .modes
        .push(crate::pure::deployment::Mode::FrontEnd);
    let r = report(&e);
    let id = Ids::new(0);
    let p = flow(&r, "192.168.0.0/16", &id.rest, "443");
    for h in [HopName::SrcSgEgress, HopName::SrcNaclOut, HopName::Route] {
        assert_eq!(hop(p, h).verdict, HopVerdict::NotOnPath, "{p:#?}");
    }
    assert_eq!(hop(p, HopName::DstSgIngress).resources, [id.ep_sg.as_str()]);
    assert!(disagreements(&r).is_empty(), "{:#?}", disagreements(&r));
}

#[test]
fn flows_are_traced_only_when_a_rule_that_judges_them_runs() {
    let e = Estate::backend();
    let r = audit(
        &e.snap,
        &AuditOptions {
            manifest: Some(&e.manifest),
            rules: vec!["PL-VPC".into()],
            ..AuditOptions::default()
        },
    );
    assert!(r.flows.is_empty());
    assert!(r.findings.iter().all(|f| f.paths.is_empty()));
}

#[test]
fn the_json_report_writes_each_path_once_and_findings_name_it_by_id() {
    let mut e = Estate::backend();
    e.drop_relay_egress();
    let r = report(&e);
    let v = serde_json::to_value(&r).unwrap();
    let flows = v["flows"].as_array().unwrap();
    assert_eq!(flows.len(), r.flows.len());
    let ids: BTreeSet<&str> = flows.iter().map(|f| f["id"].as_str().unwrap()).collect();
    let mut named = 0;
    for f in v["findings"].as_array().unwrap() {
        if let Some(paths) = f.get("paths") {
            for p in paths.as_array().unwrap() {
                assert!(ids.contains(p.as_str().unwrap()), "{p}");
                named += 1;
            }
        }
    }
    assert!(named > 0);
}

/// On every rule's failing estate, the paths and the findings agree.
#[test]
fn paths_and_findings_agree_on_every_failing_estate() {
    let mut seen_fail = 0;
    let mut stricter_rules = BTreeSet::new();
    for (rule, estate) in FAILING {
        let r = report(&estate());
        let d = disagreements(&r);
        assert!(d.is_empty(), "{rule}: {d:#?}");
        seen_fail += r
            .flows
            .iter()
            .filter(|p| p.verdict == PathVerdict::Fail)
            .count();
        stricter_rules.extend(stricter(&r));
    }
    assert!(seen_fail > 0);
    // Where a failing finding's paths all pass, the rule asks for more than the flows need.
    // PL-NACL-001/002 want the ALLOW entries first, PL-RT-001 a NAT or an appliance rather than
    // any route out, PL-RT-004 the S3 gateway endpoint on every route table.
    let allowed: BTreeSet<String> = ["PL-NACL-001", "PL-NACL-002", "PL-RT-001", "PL-RT-004"]
        .into_iter()
        .map(String::from)
        .collect();
    assert!(
        stricter_rules.is_subset(&allowed),
        "{:?}",
        stricter_rules.difference(&allowed).collect::<Vec<_>>()
    );
    // Every rule that declares flow kinds has its findings carry paths somewhere.
    assert!(RULES.iter().any(|r| !r.meta.flows.is_empty()));
}

/// The bundled examples: the paths and the findings agree.
#[test]
fn paths_and_findings_agree_on_the_examples() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    for name in ["backend-drifted", "frontend-transit", "isolated-compliant"] {
        let dir = root.join(name);
        let snap = Snapshot::load(&dir).unwrap();
        let manifest = Manifest::load(&dir.join("manifest.yaml")).unwrap();
        let r = audit(
            &snap,
            &AuditOptions {
                manifest: Some(&manifest),
                ..AuditOptions::default()
            },
        );
        assert!(!r.flows.is_empty(), "{name}");
        let d = disagreements(&r);
        assert!(d.is_empty(), "{name}: {d:#?}");
        let blocked: BTreeSet<(&str, &str)> = r
            .flows
            .iter()
            .filter(|p| p.verdict != PathVerdict::Pass)
            .filter_map(|p| p.blocking_hop())
            .flat_map(|h| {
                h.resources
                    .iter()
                    .map(move |x| (h.hop.as_str(), x.as_str()))
            })
            .collect();
        match name {
            "backend-drifted" => assert!(!blocked.is_empty()),
            // The planted PL-EPSG-002 failure: the clients are not admitted by the front-end
            // endpoint's group.
            "frontend-transit" => assert_eq!(
                blocked,
                BTreeSet::from([("dst_sg_ingress", "sg-03c4d5e6f7081920b")])
            ),
            _ => assert!(blocked.is_empty(), "{name}: {blocked:?}"),
        }
    }
}
