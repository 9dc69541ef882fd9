//! Live collection against moto's server mode: an estate built through the SDK, collected by the
//! real collector, audited, written as a snapshot and audited again.
//!
//! These tests need a moto server: `scripts/test.sh` installs and starts one and sets
//! `PLAUDIT_MOTO_URL`; they are ignored by a plain `cargo test`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use aws_sdk_ec2::types::{
    AttributeBooleanValue, IpPermission, IpRange, UserIdGroupPair, VpcEndpointType,
};
use aws_sdk_ec2::Client;
use plaudit::collect::{collect, CallCounter, CollectOptions};
use plaudit::engine::{audit, AuditOptions};
use plaudit::manifest::{Manifest, Mode, WorkspaceSpec};
use plaudit::snapshot::{Input, Snapshot, SnapshotMeta};
use plaudit::Status;

const WORKSPACE_SERVICE: &str = "com.amazonaws.vpce.us-east-1.vpce-svc-09143d1e626de2f04";
const RELAY_SERVICE: &str = "com.amazonaws.vpce.us-east-1.vpce-svc-00018a8c3ff62ffdf";

fn moto_url() -> String {
    std::env::var("PLAUDIT_MOTO_URL").expect(
        "PLAUDIT_MOTO_URL is not set: run these tests through scripts/test.sh, which starts moto",
    )
}

async fn client() -> Client {
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(moto_url())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_ec2::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .load()
        .await;
    Client::new(&conf)
}

struct Built {
    vpc: String,
    ws_subnets: Vec<String>,
    ws_sg: String,
}

/// An isolated Databricks workspace VPC: two workspace and two endpoint subnets, the workspace and
/// endpoint security groups, the Databricks, S3, STS and Kinesis endpoints, no internet path.
async fn build_isolated(c: &Client, cidr16: &str) -> Built {
    let base = cidr16.trim_end_matches(".0.0/16");
    let vpc = c
        .create_vpc()
        .cidr_block(cidr16)
        .send()
        .await
        .unwrap()
        .vpc
        .unwrap()
        .vpc_id
        .unwrap();
    for attr in [0, 1] {
        let on = AttributeBooleanValue::builder().value(true).build();
        let req = c.modify_vpc_attribute().vpc_id(&vpc);
        let req = if attr == 0 {
            req.enable_dns_hostnames(on)
        } else {
            req.enable_dns_support(on)
        };
        req.send().await.unwrap();
    }
    let subnet = |third: &str, len: u8, az: &str| {
        let (c, vpc) = (c.clone(), vpc.clone());
        let cidr = format!("{base}.{third}/{len}");
        let az = az.to_string();
        async move {
            c.create_subnet()
                .vpc_id(vpc)
                .cidr_block(cidr)
                .availability_zone(az)
                .send()
                .await
                .unwrap()
                .subnet
                .unwrap()
                .subnet_id
                .unwrap()
        }
    };
    let ws = vec![
        subnet("0.0", 22, "us-east-1a").await,
        subnet("4.0", 22, "us-east-1b").await,
    ];
    let ep = vec![
        subnet("28.0", 26, "us-east-1a").await,
        subnet("28.64", 26, "us-east-1b").await,
    ];
    let sg = |name: &str| {
        let (c, vpc, name) = (c.clone(), vpc.clone(), name.to_string());
        async move {
            c.create_security_group()
                .group_name(name.clone())
                .description(name)
                .vpc_id(vpc)
                .send()
                .await
                .unwrap()
                .group_id
                .unwrap()
        }
    };
    let ws_sg = sg(&format!("ws-{base}")).await;
    let ep_sg = sg(&format!("ep-{base}")).await;
    let perm = |proto: &str, from: i32, to: i32, peer: &str| {
        let b = IpPermission::builder()
            .ip_protocol(proto)
            .from_port(from)
            .to_port(to);
        if peer.starts_with("sg-") {
            b.user_id_group_pairs(UserIdGroupPair::builder().group_id(peer).build())
                .build()
        } else {
            b.ip_ranges(IpRange::builder().cidr_ip(peer).build())
                .build()
        }
    };
    // moto gives a new group an allow-all egress rule; isolation wants it gone.
    c.revoke_security_group_egress()
        .group_id(&ws_sg)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("-1")
                .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    c.revoke_security_group_egress()
        .group_id(&ep_sg)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("-1")
                .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let mut ingress = c.authorize_security_group_ingress().group_id(&ws_sg);
    for p in [perm("tcp", 0, 65535, &ws_sg), perm("udp", 0, 65535, &ws_sg)] {
        ingress = ingress.ip_permissions(p);
    }
    ingress.send().await.unwrap();
    let mut egress = c.authorize_security_group_egress().group_id(&ws_sg);
    for p in [
        perm("tcp", 0, 65535, &ws_sg),
        perm("udp", 0, 65535, &ws_sg),
        perm("tcp", 443, 443, cidr16),
        perm("tcp", 6666, 6666, cidr16),
        perm("tcp", 8443, 8451, cidr16),
    ] {
        egress = egress.ip_permissions(p);
    }
    egress.send().await.unwrap();
    let mut ep_in = c.authorize_security_group_ingress().group_id(&ep_sg);
    for (f, t) in [(443, 443), (6666, 6666), (8443, 8451)] {
        ep_in = ep_in.ip_permissions(perm("tcp", f, t, &ws_sg));
    }
    ep_in.send().await.unwrap();
    // The workspace subnets' route table: the VPC's main table, plus the S3 gateway endpoint.
    let main_rt = c
        .describe_route_tables()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("vpc-id")
                .values(&vpc)
                .build(),
        )
        .send()
        .await
        .unwrap()
        .route_tables()[0]
        .route_table_id()
        .unwrap()
        .to_string();
    c.create_vpc_endpoint()
        .vpc_id(&vpc)
        .vpc_endpoint_type(VpcEndpointType::Gateway)
        .service_name("com.amazonaws.us-east-1.s3")
        .route_table_ids(&main_rt)
        .send()
        .await
        .unwrap();
    for service in [
        WORKSPACE_SERVICE,
        RELAY_SERVICE,
        "com.amazonaws.us-east-1.sts",
        "com.amazonaws.us-east-1.kinesis-streams",
    ] {
        let mut req = c
            .create_vpc_endpoint()
            .vpc_id(&vpc)
            .vpc_endpoint_type(VpcEndpointType::Interface)
            .service_name(service)
            .private_dns_enabled(true)
            .security_group_ids(&ep_sg);
        for s in &ep {
            req = req.subnet_ids(s);
        }
        req.send().await.unwrap();
    }
    Built {
        vpc,
        ws_subnets: ws,
        ws_sg,
    }
}

fn manifest(b: &Built) -> Manifest {
    Manifest {
        workspaces: vec![WorkspaceSpec {
            name: "live".into(),
            vpc_id: b.vpc.clone(),
            subnet_ids: b.ws_subnets.clone(),
            security_group_ids: vec![b.ws_sg.clone()],
            modes: vec![Mode::BackEnd],
            compliance_security_profile: false,
            legacy_hive_metastore: false,
            custom_dns: false,
        }],
        ..Manifest::default()
    }
}

fn meta() -> SnapshotMeta {
    SnapshotMeta {
        format_version: Some(1),
        account_id: Some("123456789012".into()),
        region: Some("us-east-1".into()),
        collected_at: Some("2026-11-30T06:00:00Z".into()),
        collection_errors: vec![],
    }
}

async fn collect_scoped(c: &Client, vpc: &str) -> (Snapshot, CallCounter) {
    let counter = CallCounter::default();
    let opts = CollectOptions {
        vpc_ids: vec![vpc.to_string()],
        ..CollectOptions::default()
    };
    let snap = collect(c, &opts, meta(), &counter).await;
    (snap, counter)
}

fn status(r: &plaudit::Report, rule: &str) -> Vec<Status> {
    r.findings
        .iter()
        .filter(|f| f.rule_id == rule)
        .map(|f| f.status)
        .collect()
}

#[tokio::test]
#[ignore = "needs moto: run scripts/test.sh"]
async fn live_audit_equals_the_audit_of_its_snapshot_and_sees_drift() {
    let c = client().await;
    let b = build_isolated(&c, "10.61.0.0/16").await;
    let m = manifest(&b);
    let (snap, counter) = collect_scoped(&c, &b.vpc).await;
    for input in [
        Input::Vpcs,
        Input::VpcAttributes,
        Input::Subnets,
        Input::RouteTables,
        Input::VpcEndpoints,
        Input::SecurityGroups,
        Input::SecurityGroupRules,
        Input::NetworkAcls,
    ] {
        assert!(
            snap.availability(input).is_ok(),
            "{input:?}: {:?}",
            snap.availability(input)
        );
    }
    // Scoped to the workspace VPC.
    assert_eq!(snap.vpcs.as_ref().unwrap().len(), 1);
    assert_eq!(snap.subnets.as_ref().unwrap().len(), 4);
    // One paginated call per resource type, and two DescribeVpcAttribute calls per VPC.
    let calls = counter.by_api();
    assert_eq!(calls.get("DescribeVpcAttribute"), Some(&2), "{calls:?}");
    for api in [
        "DescribeVpcs",
        "DescribeSubnets",
        "DescribeRouteTables",
        "DescribeVpcEndpoints",
        "DescribeSecurityGroups",
        "DescribeSecurityGroupRules",
        "DescribeNetworkAcls",
        "DescribeInternetGateways",
        "DescribeNatGateways",
    ] {
        assert_eq!(calls.get(api), Some(&1), "{api}: {calls:?}");
    }

    let opts = AuditOptions {
        manifest: Some(&m),
        ..AuditOptions::default()
    };
    let live = audit(&snap, &opts);
    assert_eq!(status(&live, "PL-VPC-001"), vec![Status::Pass]);
    assert!(status(&live, "PL-EP-001").contains(&Status::Pass));
    assert!(status(&live, "PL-EP-002").contains(&Status::Pass));
    assert_eq!(status(&live, "PL-SG-006"), vec![Status::Pass]);
    assert_eq!(status(&live, "PL-EPSG-001"), vec![Status::Pass]);
    assert!(
        live.summary.complete,
        "{:#?}",
        live.findings
            .iter()
            .filter(|f| f.status == Status::Error)
            .collect::<Vec<_>>()
    );

    // The snapshot written from the live state audits the same.
    let dir = std::env::temp_dir().join(format!("plaudit-live-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    snap.write(&dir).unwrap();
    let offline = audit(&Snapshot::load(&dir).unwrap(), &opts);
    assert_eq!(live.findings, offline.findings);

    // Drift: the relay port disappears from the workspace egress.
    c.revoke_security_group_egress()
        .group_id(&b.ws_sg)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(6666)
                .to_port(6666)
                .ip_ranges(IpRange::builder().cidr_ip("10.61.0.0/16").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let (snap, _) = collect_scoped(&c, &b.vpc).await;
    let after = audit(&snap, &opts);
    assert_eq!(status(&after, "PL-SG-006"), vec![Status::Fail]);
    let f = after
        .findings
        .iter()
        .find(|f| f.rule_id == "PL-SG-006")
        .unwrap();
    assert!(f.message.contains("tcp 6666"), "{}", f.message);
}

#[tokio::test]
#[ignore = "needs moto: run scripts/test.sh"]
async fn a_failed_call_is_an_error_not_a_pass() {
    // An endpoint that is not moto: every call fails to connect. Nothing may pass or fail.
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url("http://127.0.0.1:9")
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_ec2::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .load()
        .await;
    let c = Client::new(&conf);
    let counter = CallCounter::default();
    let snap = collect(
        &c,
        &CollectOptions {
            vpc_ids: vec!["vpc-0123456789abcdef0".into()],
            ..CollectOptions::default()
        },
        meta(),
        &counter,
    )
    .await;
    let f = snap.vpcs.as_ref().unwrap_err();
    assert_eq!(f.api, "DescribeVpcs");
    assert_eq!(f.code, "DispatchFailure");
    let m = Manifest {
        workspaces: vec![WorkspaceSpec {
            name: "ghost".into(),
            vpc_id: "vpc-0123456789abcdef0".into(),
            subnet_ids: vec!["subnet-0123456789abcdef0".into()],
            security_group_ids: vec!["sg-0123456789abcdef0".into()],
            modes: vec![Mode::Isolated],
            compliance_security_profile: false,
            legacy_hive_metastore: false,
            custom_dns: false,
        }],
        ..Manifest::default()
    };
    let r = audit(
        &snap,
        &AuditOptions {
            manifest: Some(&m),
            ..AuditOptions::default()
        },
    );
    assert!(!r.findings.is_empty());
    assert!(
        r.findings.iter().all(|f| f.status == Status::Error),
        "{:#?}",
        r.findings
            .iter()
            .filter(|f| f.status != Status::Error)
            .collect::<Vec<_>>()
    );
    assert!(r
        .findings
        .iter()
        .any(|f| f.message.contains("DispatchFailure")));
    assert_eq!(r.exit_code(plaudit::Severity::High), 3);
}

/// Fault injection at the SDK boundary: answers the chosen operations with an EC2 error, as AWS
/// would (the HTTP exchange with moto still happens; its answer is replaced before parsing).
#[derive(Debug)]
struct FailOperations(Vec<(&'static str, u16, &'static str)>);

impl aws_sdk_ec2::config::Intercept for FailOperations {
    fn name(&self) -> &'static str {
        "FailOperations"
    }

    fn modify_before_deserialization(
        &self,
        ctx: &mut aws_sdk_ec2::config::interceptors::BeforeDeserializationInterceptorContextMut<'_>,
        _rc: &aws_sdk_ec2::config::RuntimeComponents,
        cfg: &mut aws_sdk_ec2::config::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        let op = cfg
            .load::<aws_smithy_runtime_api::client::orchestrator::Metadata>()
            .map(|m| m.name().to_string())
            .unwrap_or_default();
        if let Some((_, status, code)) = self.0.iter().find(|(o, _, _)| *o == op) {
            let body = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>{code}</Code><Message>injected by the test</Message></Error></Errors><RequestID>test</RequestID></Response>"
            );
            *ctx.response_mut().status_mut() =
                aws_smithy_runtime_api::http::StatusCode::try_from(*status)?;
            *ctx.response_mut().body_mut() = aws_smithy_types::body::SdkBody::from(body);
        }
        Ok(())
    }
}

#[tokio::test]
#[ignore = "needs moto: run scripts/test.sh"]
async fn access_denied_and_throttling_become_errors_with_their_codes() {
    let setup = client().await;
    let b = build_isolated(&setup, "10.62.0.0/16").await;
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(moto_url())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_ec2::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .retry_config(
            aws_config::retry::RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(std::time::Duration::from_millis(5)),
        )
        .load()
        .await;
    let ec2_conf = aws_sdk_ec2::config::Builder::from(&conf)
        .interceptor(FailOperations(vec![
            ("DescribeNetworkAcls", 403, "UnauthorizedOperation"),
            ("DescribeVpcEndpoints", 503, "RequestLimitExceeded"),
        ]))
        .build();
    let c = Client::from_conf(ec2_conf);
    let (snap, counter) = collect_scoped(&c, &b.vpc).await;
    let acl = snap.network_acls.as_ref().unwrap_err();
    assert_eq!(
        (acl.api.as_str(), acl.code.as_str()),
        ("DescribeNetworkAcls", "UnauthorizedOperation")
    );
    let eps = snap.vpc_endpoints.as_ref().unwrap_err();
    assert_eq!(eps.code, "RequestLimitExceeded");
    // The rest was read normally, and the throttled call was retried a bounded number of times
    // (one page counted: the SDK's three attempts are one call to the collector).
    assert!(snap.subnets.is_ok() && snap.security_group_rules.is_ok());
    assert_eq!(counter.by_api().get("DescribeVpcEndpoints"), Some(&1));

    let m = manifest(&b);
    let r = audit(
        &snap,
        &AuditOptions {
            manifest: Some(&m),
            ..AuditOptions::default()
        },
    );
    let needs = |f: &plaudit::Finding, input: Input| {
        plaudit::rules::meta(&f.rule_id).is_some_and(|meta| meta.inputs.contains(&input))
    };
    let blind: Vec<_> = r
        .findings
        .iter()
        .filter(|f| needs(f, Input::NetworkAcls) || needs(f, Input::VpcEndpoints))
        .collect();
    assert!(!blind.is_empty());
    for f in &blind {
        assert_eq!(f.status, Status::Error, "{f:#?}");
    }
    assert!(blind
        .iter()
        .any(|f| f.message.contains("UnauthorizedOperation")));
    assert!(blind
        .iter()
        .any(|f| f.message.contains("RequestLimitExceeded")));
    // What could be read is still judged.
    assert_eq!(status(&r, "PL-VPC-001"), vec![Status::Pass]);
    assert!(!r.summary.complete);
}
