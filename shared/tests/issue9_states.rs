//! Issue 9, classes 2 (states), 3 (routes), 5 (zones), 6 (discovery) and 10 (duplicates):
//! regression estates with the finding text pinned.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test
use plaudit::engine::{audit, AuditOptions};
use plaudit::finding::{Finding, Status};
use plaudit::model::{GatewayAttachment, InternetGateway, NatGateway, Route, Tag};
use plaudit::synth::{Estate, Ids};

fn ids() -> Ids {
    Ids::new(0)
}

fn run(e: &Estate, rules: &[&str]) -> Vec<Finding> {
    audit(
        &e.snap,
        &AuditOptions {
            manifest: Some(&e.manifest),
            rules: rules.iter().map(|r| r.to_string()).collect(),
            ..AuditOptions::default()
        },
    )
    .findings
}

fn discover(e: &Estate) -> plaudit::Report {
    audit(&e.snap, &AuditOptions::default())
}

fn get<'a>(f: &'a [Finding], rule: &str, res: &str) -> &'a Finding {
    f.iter()
        .find(|x| x.rule_id == rule && x.resource_id == res)
        .unwrap_or_else(|| panic!("no {rule} finding on {res}: {f:#?}"))
}

/// "RULE resource status: message" lines, for snapshots.
fn lines(f: &[Finding]) -> String {
    f.iter()
        .map(|x| {
            format!(
                "{} {} {:?}/{:?}: {}",
                x.rule_id, x.resource_id, x.status, x.severity, x.message
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn ep<'a>(e: &'a mut Estate, id: &str) -> &'a mut plaudit::model::VpcEndpoint {
    e.snap
        .vpc_endpoints
        .as_mut()
        .unwrap()
        .iter_mut()
        .find(|x| x.vpc_endpoint_id == id)
        .unwrap()
}

fn nat(id: &str, state: &str, connectivity: Option<&str>) -> NatGateway {
    NatGateway {
        nat_gateway_id: id.into(),
        vpc_id: ids().vpc.into(),
        subnet_id: ids().public_subnet.into(),
        state: state.into(),
        connectivity_type: connectivity.map(Into::into),
        tags: vec![],
    }
}

fn set_routes(e: &mut Estate, rt: &str, f: impl Fn(&mut Vec<Route>)) {
    for t in e
        .snap
        .route_tables
        .as_mut()
        .unwrap()
        .iter_mut()
        .filter(|t| t.route_table_id == rt)
    {
        f(&mut t.routes);
    }
}

fn route(dest: &str, f: impl FnOnce(&mut Route)) -> Route {
    let mut r = Route {
        destination_cidr_block: Some(dest.into()),
        state: Some("active".into()),
        ..Route::default()
    };
    f(&mut r);
    r
}

// ---- class 2: states ------------------------------------------------------------------------

#[test]
fn pending_and_deleted_copies_are_not_duplicates_and_pending_is_not_present() {
    let mut e = Estate::backend();
    let rest = ids().rest;
    let mut pending = ep(&mut e, &rest).clone();
    pending.vpc_endpoint_id = "vpce-0pending".into();
    pending.state = "pendingAcceptance".into();
    let mut deleted = pending.clone();
    deleted.vpc_endpoint_id = "vpce-0deleted".into();
    deleted.state = "deleted".into();
    e.snap
        .vpc_endpoints
        .as_mut()
        .unwrap()
        .extend([pending, deleted]);
    let f = run(&e, &["PL-EP-006", "PL-EP-004"]);
    assert_eq!(get(&f, "PL-EP-006", &rest).status, Status::Pass);
    assert_eq!(get(&f, "PL-EP-004", "vpce-0pending").status, Status::Fail);
    assert!(
        !f.iter().any(|x| x.resource_id == "vpce-0deleted"),
        "{f:#?}"
    );
    assert!(!f
        .iter()
        .any(|x| x.rule_id == "PL-EP-006" && x.resource_id == "vpce-0pending"));
}

#[test]
fn an_endpoint_that_is_only_pending_does_not_make_the_relay_present() {
    let mut e = Estate::backend();
    ep(&mut e, &ids().relay).state = "pendingAcceptance".into();
    let f = run(&e, &["PL-EP-002"]);
    let x = get(&f, "PL-EP-002", &ids().vpc);
    assert_eq!(x.status, Status::Fail);
    assert!(x.message.contains("pendingAcceptance"), "{}", x.message);
}

#[test]
fn unknown_states_are_errors_naming_the_resource() {
    let mut e = Estate::backend();
    ep(&mut e, &ids().relay).state = "availble".into();
    let f = run(&e, &["PL-EP-004", "PL-EP-002"]);
    assert_eq!(get(&f, "PL-EP-004", &ids().relay).status, Status::Error);
    assert!(get(&f, "PL-EP-002", &ids().vpc)
        .message
        .contains(&ids().relay));

    let mut e = Estate::isolated();
    e.snap
        .nat_gateways
        .as_mut()
        .unwrap()
        .push(nat("nat-0odd", "", None));
    let f = run(&e, &["PL-NAT-001"]);
    let x = get(&f, "PL-NAT-001", "nat-0odd");
    assert_eq!(x.status, Status::Error);
    assert!(x.message.contains("no state"), "{}", x.message);
}

#[test]
fn detached_igws_and_failed_nats_are_gone_not_failures() {
    let mut e = Estate::isolated();
    e.snap
        .internet_gateways
        .as_mut()
        .unwrap()
        .push(InternetGateway {
            internet_gateway_id: "igw-0old".into(),
            attachments: vec![GatewayAttachment {
                vpc_id: ids().vpc.into(),
                state: "detached".into(),
            }],
            tags: vec![],
        });
    e.snap
        .nat_gateways
        .as_mut()
        .unwrap()
        .push(nat("nat-0failed", "failed", None));
    let f = run(&e, &["PL-IGW-001", "PL-NAT-001"]);
    assert!(f.iter().all(|x| x.status == Status::Pass), "{f:#?}");
    insta::assert_snapshot!("states", lines(&f));
}

// ---- class 3: routes ------------------------------------------------------------------------

#[test]
fn a_private_nat_or_a_peering_is_no_egress() {
    let mut e = Estate::backend();
    e.snap.nat_gateways.as_mut().unwrap()[0].connectivity_type = Some("private".into());
    let f = run(&e, &["PL-RT-001", "PL-RT-002"]);
    let x = get(&f, "PL-RT-001", &ids().rt_private);
    assert_eq!(x.status, Status::Fail);
    assert!(x.message.contains("private"), "{}", x.message);
    // PL-RT-002 does not judge a NAT that is no egress path.
    assert_eq!(
        get(&f, "PL-RT-002", &ids().vpc).status,
        Status::NotApplicable
    );

    let mut e = Estate::backend();
    set_routes(&mut e, &ids().rt_private, |rs| {
        rs.retain(|r| !r.is_default());
        rs.push(route("0.0.0.0/0", |r| {
            r.vpc_peering_connection_id = Some("pcx-0peer".into())
        }));
    });
    assert_eq!(
        get(&run(&e, &["PL-RT-001"]), "PL-RT-001", &ids().rt_private).status,
        Status::Fail
    );
}

#[test]
fn two_halves_to_an_igw_make_a_public_subnet() {
    let mut e = Estate::backend();
    let igw = ids().igw;
    set_routes(&mut e, &ids().rt_private, |rs| {
        rs.retain(|r| !r.is_default());
        for half in ["0.0.0.0/1", "128.0.0.0/1"] {
            rs.push(route(half, |r| r.gateway_id = Some(igw.as_str().into())));
        }
    });
    let f = run(&e, &["PL-SUB-004", "PL-RT-001"]);
    assert_eq!(
        get(&f, "PL-SUB-004", &ids().ws_subnets[0]).status,
        Status::Fail
    );
    assert_eq!(get(&f, "PL-RT-001", &ids().rt_private).status, Status::Fail);
}

#[test]
fn route_messages() {
    let mut e = Estate::isolated();
    set_routes(&mut e, &ids().rt_private, |rs| {
        rs.push(route("0.0.0.0/1", |r| {
            r.transit_gateway_id = Some("tgw-0hub".into())
        }));
        rs.push(route("128.0.0.0/1", |r| {
            r.vpc_peering_connection_id = Some("pcx-0peer".into())
        }));
    });
    let mut b = Estate::backend();
    let nat = ids().nat;
    set_routes(&mut b, &ids().rt_private, |rs| {
        rs.retain(|r| !r.is_default());
        rs.push(route("0.0.0.0/1", |r| {
            r.nat_gateway_id = Some(nat.as_str().into())
        }));
        rs.push(route("128.0.0.0/1", |r| {
            r.nat_gateway_id = Some(nat.as_str().into());
            r.state = Some("blackhole".into());
        }));
    });
    let mut f = run(&e, &["PL-RT-003"]);
    f.extend(run(&b, &["PL-RT-001"]));
    insta::assert_snapshot!("routes", lines(&f));
}

// ---- class 5 (zones) ------------------------------------------------------------------------

#[test]
fn a_zone_name_is_related_to_its_id_through_another_subnet() {
    // Both workspace subnets are in use1-az1; the second only says us-east-1a, which another
    // subnet relates to use1-az1. Counting names and ids apart would see two zones.
    let mut e = Estate::backend();
    let (first, second) = (ids().ws_subnets[0].clone(), ids().ws_subnets[1].clone());
    let subnets = e.snap.subnets.as_mut().unwrap();
    let (name, zid) = {
        let s = subnets.iter().find(|s| s.subnet_id == first).unwrap();
        (s.availability_zone.clone(), s.availability_zone_id.clone())
    };
    for s in subnets.iter_mut().filter(|s| s.subnet_id == second) {
        s.availability_zone = name.clone();
        s.availability_zone_id = None;
    }
    let f = run(&e, &["PL-SUB-001", "PL-SUB-002"]);
    assert_eq!(get(&f, "PL-SUB-001", &second).status, Status::Fail);
    let x = get(&f, "PL-SUB-002", &second);
    assert_eq!(x.status, Status::Fail);
    assert!(x.message.contains(zid.unwrap().as_str()), "{}", x.message);
}

#[test]
fn a_subnet_without_a_relatable_zone_is_an_error() {
    let mut e = Estate::backend();
    let second = ids().ws_subnets[1].clone();
    for s in e.snap.subnets.as_mut().unwrap().iter_mut() {
        if s.subnet_id == second {
            s.availability_zone = "us-east-1z".into();
            s.availability_zone_id = None;
        }
    }
    let f = run(&e, &["PL-SUB-001", "PL-SUB-002", "PL-EP-007"]);
    assert_eq!(get(&f, "PL-SUB-001", &second).status, Status::Error);
    assert_eq!(get(&f, "PL-SUB-002", &second).status, Status::Error);
    assert_eq!(get(&f, "PL-EP-007", &ids().rest).status, Status::Error);
    insta::assert_snapshot!("zones", lines(&f));
}

// ---- class 6: discovery ---------------------------------------------------------------------

fn tag_vpc(e: &mut Estate, key: &str, value: &str) {
    e.snap.vpcs.as_mut().unwrap()[0].tags.push(Tag {
        key: key.into(),
        value: value.into(),
    });
}

#[test]
fn gone_gateways_do_not_decide_the_mode() {
    let mut e = Estate::backend();
    e.snap.nat_gateways.as_mut().unwrap()[0].state = "deleted".into();
    for g in e.snap.internet_gateways.as_mut().unwrap() {
        for a in &mut g.attachments {
            a.state = "detached".into();
        }
    }
    let r = discover(&e);
    assert_eq!(r.deployment.workspaces.len(), 1);
    assert!(r.deployment.workspaces[0].isolated(), "{:#?}", r.deployment);
}

#[test]
fn subnets_of_aws_service_endpoints_are_not_workspace_subnets() {
    // The STS and Kinesis endpoints get a subnet of their own.
    let mut e = Estate::backend();
    let mut extra = e.snap.subnets.as_ref().unwrap()[0].clone();
    extra.subnet_id = "subnet-0sts".into();
    extra.cidr_block = Some("10.0.29.0/26".into());
    e.snap.subnets.as_mut().unwrap().push(extra);
    for id in [ids().sts, ids().kinesis] {
        ep(&mut e, &id).subnet_ids = vec!["subnet-0sts".into()];
    }
    let r = discover(&e);
    let ws = &r.deployment.workspaces[0];
    assert!(!ws.subnet_ids.iter().any(|s| s == "subnet-0sts"), "{ws:#?}");
}

#[test]
fn an_unparsable_modes_tag_is_an_error_naming_it() {
    let mut e = Estate::backend();
    e.manifest = Default::default();
    tag_vpc(&mut e, "plaudit:workspace", "analytics");
    tag_vpc(&mut e, "plaudit:modes", "isolatd");
    let r = audit(
        &e.snap,
        &AuditOptions {
            rules: vec!["PL-EP-001".into(), "PL-SUB-004".into()],
            ..AuditOptions::default()
        },
    );
    assert!(!r.summary.complete);
    assert_eq!(r.exit_code(plaudit::Severity::Critical), 3);
    assert!(r.findings.iter().all(|f| f.status == Status::Error));
    insta::assert_snapshot!("discovery", lines(&r.findings));
}

#[test]
fn a_discovered_transit_vpc_is_audited_like_a_declared_one() {
    let mut e = Estate::backend();
    e.add_vpc(1, false);
    // VPC 1 becomes a transit VPC: its relay endpoint is gone.
    let relay1 = Ids::new(1).relay;
    e.snap
        .vpc_endpoints
        .as_mut()
        .unwrap()
        .retain(|x| x.vpc_endpoint_id != relay1);
    let r = discover(&e);
    assert_eq!(r.deployment.transit_vpcs.len(), 1);
    assert_eq!(r.deployment.workspaces.len(), 1);
    let ws = &r.deployment.workspaces[0];
    assert!(ws.has(plaudit::manifest::Mode::FrontEnd), "{ws:#?}");
    // PL-EP-008 now looks at the transit VPC.
    assert!(
        r.findings
            .iter()
            .any(|f| f.rule_id == "PL-EP-008" && f.resource_id == Ids::new(1).rest),
        "{:#?}",
        r.findings
            .iter()
            .filter(|f| f.rule_id == "PL-EP-008")
            .collect::<Vec<_>>()
    );
}

// ---- class 10: duplicated records -----------------------------------------------------------

struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("plaudit-issue9-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn write_dup(dir: &std::path::Path, e: &Estate, change: bool) {
    e.snap.write(dir).unwrap();
    let file = dir.join("describe-vpc-endpoints.json");
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let list = v["VpcEndpoints"].as_array_mut().unwrap();
    let mut copy = list[0].clone();
    if change {
        copy["State"] = serde_json::Value::String("deleting".into());
    }
    list.push(copy);
    std::fs::write(&file, serde_json::to_vec(&v).unwrap()).unwrap();
}

#[test]
fn identical_duplicates_are_merged() {
    let dir = TempDir::new("merged");
    let e = Estate::backend();
    write_dup(dir.path(), &e, false);
    let snap = plaudit::Snapshot::load(dir.path()).unwrap();
    assert_eq!(
        snap.vpc_endpoints.as_ref().unwrap().len(),
        e.snap.vpc_endpoints.as_ref().unwrap().len()
    );
    let r = audit(
        &snap,
        &AuditOptions {
            manifest: Some(&e.manifest),
            ..Default::default()
        },
    );
    assert!(
        !r.findings
            .iter()
            .any(|f| f.rule_id == "PL-EP-006" && f.status != Status::Pass),
        "{:#?}",
        r.findings
    );
}

#[test]
fn differing_duplicates_are_refused_naming_file_id_and_field() {
    let dir = TempDir::new("refused");
    let e = Estate::backend();
    write_dup(dir.path(), &e, true);
    let err = plaudit::Snapshot::load(dir.path()).unwrap_err().to_string();
    let first = e.snap.vpc_endpoints.as_ref().unwrap()[0]
        .vpc_endpoint_id
        .to_string();
    assert!(err.contains("describe-vpc-endpoints.json"), "{err}");
    assert!(err.contains(&first) && err.contains("`State`"), "{err}");
    insta::assert_snapshot!(
        "duplicates",
        err.replace(&dir.path().display().to_string(), "<dir>")
    );
}

#[test]
fn a_file_that_is_one_page_of_several_is_not_collected() {
    // `aws ec2 describe-vpc-endpoints --max-items 1` prints a NextToken: the rest of the endpoints
    // are missing, so the input is incomplete, and "no relay endpoint" must not be concluded.
    let dir = TempDir::new("truncated");
    let e = Estate::backend();
    e.snap.write(dir.path()).unwrap();
    let file = dir.path().join("describe-vpc-endpoints.json");
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    v["NextToken"] = serde_json::json!("eyJOZXh0VG9rZW4iOiBudWxsfQ==");
    std::fs::write(&file, serde_json::to_vec(&v).unwrap()).unwrap();
    let snap = plaudit::Snapshot::load(dir.path()).unwrap();
    let failure = snap.vpc_endpoints.as_ref().unwrap_err();
    assert_eq!(failure.code, "Truncated");
    assert!(failure.message.contains("NextToken"), "{}", failure.message);
    let r = audit(
        &snap,
        &AuditOptions {
            manifest: Some(&e.manifest),
            ..Default::default()
        },
    );
    let relay: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.rule_id == "PL-EP-002")
        .collect();
    assert!(!relay.is_empty());
    assert!(
        relay.iter().all(|f| f.status == Status::Error),
        "{relay:#?}"
    );
}
