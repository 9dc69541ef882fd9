//! End-to-end test helpers: where the bundled examples are and how to run the `plaudit` binary.

use std::path::PathBuf;

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A bundled example estate.
pub fn example(name: &str) -> PathBuf {
    repo_root().join("examples").join(name)
}

/// Estates built in moto's server mode through the SDK, shared by the end-to-end tests of the
/// library and of the Lambda functions. `PLAUDIT_MOTO_URL` names the server (`scripts/test.sh`
/// starts one).
#[allow(clippy::unwrap_used, clippy::expect_used)] // test support: a panic is a failed test
pub mod moto {
    use aws_sdk_ec2::types::{
        AttributeBooleanValue, IpPermission, IpRange, UserIdGroupPair, VpcEndpointType,
    };
    use aws_sdk_ec2::Client;
    use plaudit::manifest::{Manifest, Mode, WorkspaceSpec};

    pub const WORKSPACE_SERVICE: &str = "com.amazonaws.vpce.us-east-1.vpce-svc-09143d1e626de2f04";
    pub const RELAY_SERVICE: &str = "com.amazonaws.vpce.us-east-1.vpce-svc-00018a8c3ff62ffdf";

    pub fn moto_url() -> String {
        std::env::var("PLAUDIT_MOTO_URL").expect(
            "PLAUDIT_MOTO_URL is not set: run these tests through scripts/test.sh, which starts moto",
        )
    }

    /// The SDK configuration for moto: its endpoint, us-east-1, test credentials, no retries.
    pub async fn sdk_config() -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(moto_url())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_ec2::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .load()
            .await
    }

    pub async fn client() -> Client {
        Client::new(&sdk_config().await)
    }

    /// Drift: removes the workspace group's TCP 6666 egress to the VPC CIDR.
    pub async fn revoke_relay_egress(c: &Client, b: &Built, vpc_cidr: &str) {
        c.revoke_security_group_egress()
            .group_id(&b.ws_sg)
            .ip_permissions(
                IpPermission::builder()
                    .ip_protocol("tcp")
                    .from_port(6666)
                    .to_port(6666)
                    .ip_ranges(IpRange::builder().cidr_ip(vpc_cidr).build())
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }

    pub struct Built {
        pub vpc: String,
        pub ws_subnets: Vec<String>,
        pub ws_sg: String,
    }

    /// An isolated Databricks workspace VPC: two workspace and two endpoint subnets, the workspace and
    /// endpoint security groups, the Databricks, S3, STS and Kinesis endpoints, no internet path.
    pub async fn build_isolated(c: &Client, cidr16: &str) -> Built {
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
        for g in [&ws_sg, &ep_sg] {
            c.revoke_security_group_egress()
                .group_id(g)
                .ip_permissions(
                    IpPermission::builder()
                        .ip_protocol("-1")
                        .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                        .build(),
                )
                .send()
                .await
                .unwrap();
        }
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

    pub fn manifest(b: &Built) -> Manifest {
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
}
