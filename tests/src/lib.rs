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

/// Everything the code under test logs (JSON lines, with the functions' filter at its most
/// verbose, trace) while the guard lives, on this thread (a `#[tokio::test]` runs on one).
pub fn capture_logs() -> (tracing::subscriber::DefaultGuard, Logs) {
    let logs = Logs::default();
    let sink = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            plaudit::publish::log_filter("trace"),
        ))
        .with_writer(move || sink.clone())
        .finish();
    (tracing::subscriber::set_default(subscriber), logs)
}

/// Captured log output.
#[derive(Clone, Default)]
pub struct Logs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Logs {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().map(|b| b.clone()).unwrap_or_default()).into_owned()
    }
}

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut b) = self.0.lock() {
            b.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
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

    /// The workspace group's TCP 6666 egress rule to the VPC CIDR.
    fn relay_egress(vpc_cidr: &str) -> IpPermission {
        IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(6666)
            .to_port(6666)
            .ip_ranges(IpRange::builder().cidr_ip(vpc_cidr).build())
            .build()
    }

    /// Drift: removes the workspace group's TCP 6666 egress to the VPC CIDR.
    pub async fn revoke_relay_egress(c: &Client, b: &Built, vpc_cidr: &str) {
        c.revoke_security_group_egress()
            .group_id(&b.ws_sg)
            .ip_permissions(relay_egress(vpc_cidr))
            .send()
            .await
            .unwrap();
    }

    /// One injected fault: the operation (e.g. `DescribeSubnets`, `PutItem`), the HTTP status and
    /// body its answers get instead of the server's, and how many answers it replaced.
    #[derive(Debug, Clone)]
    pub struct Fault {
        pub op: &'static str,
        pub status: u16,
        pub body: String,
        /// Refuse the call before it is sent (the server never sees it), instead of replacing
        /// the server's answer (the server did the work; the caller sees an error).
        pub before_send: bool,
        pub hits: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    }

    impl Fault {
        /// An EC2 (query protocol, XML) error.
        pub fn ec2(op: &'static str, status: u16, code: &str) -> Fault {
            Fault::raw(op, status, &format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>{code}</Code><Message>injected by the test</Message></Error></Errors><RequestID>test</RequestID></Response>"
            ))
        }

        /// A JSON-protocol (DynamoDB) error.
        pub fn json(op: &'static str, status: u16, code: &str) -> Fault {
            Fault::raw(op, status, &format!(
                "{{\"__type\":\"com.amazonaws.dynamodb.v20120810#{code}\",\"message\":\"injected by the test\"}}"
            ))
        }

        /// Any answer, e.g. a truncated or malformed body with status 200.
        pub fn raw(op: &'static str, status: u16, body: &str) -> Fault {
            Fault {
                op,
                status,
                body: body.to_string(),
                before_send: false,
                hits: Default::default(),
            }
        }

        /// The call fails before reaching the server (an outage: nothing is written).
        pub fn refuse(op: &'static str) -> Fault {
            Fault {
                before_send: true,
                ..Fault::raw(op, 0, "")
            }
        }

        pub fn hits(&self) -> usize {
            self.hits.load(std::sync::atomic::Ordering::SeqCst)
        }
    }

    /// Fault injection at the SDK boundary, for any SDK client: answers the chosen operations as
    /// the fault says (the HTTP exchange with moto still happens; its answer is replaced before
    /// parsing, so retries, error parsing and the callers' handling are the SDK's real ones).
    #[derive(Debug, Clone)]
    pub struct FailOperations(pub Vec<Fault>);

    impl aws_sdk_ec2::config::Intercept for FailOperations {
        fn name(&self) -> &'static str {
            "FailOperations"
        }

        fn read_before_transmit(
            &self,
            _ctx: &aws_sdk_ec2::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
            _rc: &aws_sdk_ec2::config::RuntimeComponents,
            cfg: &mut aws_sdk_ec2::config::ConfigBag,
        ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
            let op = cfg
                .load::<aws_smithy_runtime_api::client::orchestrator::Metadata>()
                .map(|m| m.name().to_string())
                .unwrap_or_default();
            if let Some(f) = self.0.iter().find(|f| f.op == op && f.before_send) {
                f.hits.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                return Err(format!("{op} refused by the test before sending").into());
            }
            Ok(())
        }

        fn modify_before_deserialization(
            &self,
            ctx: &mut aws_sdk_ec2::config::interceptors::BeforeDeserializationInterceptorContextMut<
                '_,
            >,
            _rc: &aws_sdk_ec2::config::RuntimeComponents,
            cfg: &mut aws_sdk_ec2::config::ConfigBag,
        ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
            let op = cfg
                .load::<aws_smithy_runtime_api::client::orchestrator::Metadata>()
                .map(|m| m.name().to_string())
                .unwrap_or_default();
            if let Some(f) = self.0.iter().find(|f| f.op == op && !f.before_send) {
                f.hits.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                *ctx.response_mut().status_mut() =
                    aws_smithy_runtime_api::http::StatusCode::try_from(f.status)?;
                *ctx.response_mut().body_mut() =
                    aws_smithy_types::body::SdkBody::from(f.body.clone());
            }
            Ok(())
        }
    }

    /// An EC2 client for moto whose chosen operations fail, with the SDK's standard retry (three
    /// attempts, millisecond backoff) so throttling is retried, boundedly, as in production.
    pub async fn faulty_client(faults: Vec<Fault>) -> Client {
        let base = sdk_config()
            .await
            .to_builder()
            .retry_config(
                aws_config::retry::RetryConfig::standard()
                    .with_max_attempts(3)
                    .with_initial_backoff(std::time::Duration::from_millis(2)),
            )
            .build();
        let conf = aws_sdk_ec2::config::Builder::from(&base)
            .interceptor(FailOperations(faults))
            .build();
        Client::from_conf(conf)
    }

    /// A loopback server that accepts connections and drops them at once (the client sees a
    /// reset or an early close), or (`hang`) never answers. Its URL.
    pub fn bad_server(hang: bool) -> String {
        use std::io::Read;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for mut stream in listener.incoming().flatten() {
                if hang {
                    held.push(stream);
                } else {
                    let mut buf = [0u8; 1024];
                    let _ = stream.read(&mut buf);
                    drop(stream);
                }
            }
        });
        format!("http://{addr}")
    }

    /// Undoes [`revoke_relay_egress`].
    pub async fn restore_relay_egress(c: &Client, b: &Built, vpc_cidr: &str) {
        c.authorize_security_group_egress()
            .group_id(&b.ws_sg)
            .ip_permissions(relay_egress(vpc_cidr))
            .send()
            .await
            .unwrap();
    }

    /// The alerting side in moto: the drift-state table, the alert topic, and two SQS queues
    /// subscribed to it through filter policies: `all` takes the chat copy of every alert
    /// (`format = chat`), `critical` the e-mail copy of critical ones (`format = email`,
    /// `severity = critical`), as an e-mail subscription with a severity threshold would.
    pub struct Alerting {
        pub table: String,
        pub topic_arn: String,
        pub all: String,
        pub critical: String,
        pub ddb: aws_sdk_dynamodb::Client,
        pub sns: aws_sdk_sns::Client,
        pub sqs: aws_sdk_sqs::Client,
    }

    /// Creates the table, topic and queues, all named after `name` and this process (so a test
    /// run against a long-lived moto starts clean).
    pub async fn alerting(name: &str) -> Alerting {
        let name = &format!("{name}-{}", std::process::id());
        use aws_sdk_dynamodb::types::{
            AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
        };
        let conf = sdk_config().await;
        let ddb = aws_sdk_dynamodb::Client::new(&conf);
        let sns = aws_sdk_sns::Client::new(&conf);
        let sqs = aws_sdk_sqs::Client::new(&conf);
        let mut table = ddb
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest);
        for (attr, kind) in [("scope", KeyType::Hash), ("finding_id", KeyType::Range)] {
            table = table
                .attribute_definitions(
                    AttributeDefinition::builder()
                        .attribute_name(attr)
                        .attribute_type(ScalarAttributeType::S)
                        .build()
                        .unwrap(),
                )
                .key_schema(
                    KeySchemaElement::builder()
                        .attribute_name(attr)
                        .key_type(kind)
                        .build()
                        .unwrap(),
                );
        }
        table.send().await.unwrap();
        let topic_arn = sns
            .create_topic()
            .name(name)
            .send()
            .await
            .unwrap()
            .topic_arn
            .unwrap();
        let mut a = Alerting {
            table: name.to_string(),
            topic_arn,
            all: String::new(),
            critical: String::new(),
            ddb,
            sns,
            sqs,
        };
        a.all = a
            .subscribe_queue(
                &format!("{name}-all"),
                &[("FilterPolicy", r#"{"format": ["chat"]}"#)],
            )
            .await;
        a.critical = a
            .subscribe_queue(
                &format!("{name}-critical"),
                &[(
                    "FilterPolicy",
                    r#"{"format": ["email"], "severity": ["critical"]}"#,
                )],
            )
            .await;
        a
    }

    impl Alerting {
        /// A new queue subscribed to the topic with these subscription attributes (e.g. a
        /// `FilterPolicy`); its URL.
        pub async fn subscribe_queue(
            &self,
            queue_name: &str,
            attributes: &[(&str, &str)],
        ) -> String {
            let url = self
                .sqs
                .create_queue()
                .queue_name(queue_name)
                .send()
                .await
                .unwrap()
                .queue_url
                .unwrap();
            let arn = self
                .sqs
                .get_queue_attributes()
                .queue_url(&url)
                .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                .send()
                .await
                .unwrap()
                .attributes
                .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
                .clone();
            let mut subscribe = self
                .sns
                .subscribe()
                .topic_arn(&self.topic_arn)
                .protocol("sqs")
                .endpoint(arn);
            for (k, v) in attributes {
                subscribe = subscribe.attributes(*k, *v);
            }
            subscribe.send().await.unwrap();
            url
        }

        pub fn store(&self) -> plaudit::publish::DynamoStore {
            plaudit::publish::DynamoStore {
                client: self.ddb.clone(),
                table: self.table.clone(),
            }
        }

        pub fn sink(&self) -> plaudit::publish::SnsSink {
            plaudit::publish::SnsSink {
                client: self.sns.clone(),
                topic_arn: self.topic_arn.clone(),
            }
        }

        /// Every message waiting in a queue (the SNS envelopes, parsed), removed from it.
        pub async fn drain(&self, queue_url: &str) -> Vec<serde_json::Value> {
            let mut out = Vec::new();
            loop {
                let got = self
                    .sqs
                    .receive_message()
                    .queue_url(queue_url)
                    .max_number_of_messages(10)
                    .send()
                    .await
                    .unwrap();
                let msgs = got.messages.unwrap_or_default();
                if msgs.is_empty() {
                    return out;
                }
                for m in msgs {
                    out.push(serde_json::from_str(m.body().unwrap()).unwrap());
                    self.sqs
                        .delete_message()
                        .queue_url(queue_url)
                        .receipt_handle(m.receipt_handle().unwrap())
                        .send()
                        .await
                        .unwrap();
                }
            }
        }

        /// The stored drift records, as attribute maps.
        pub async fn items(
            &self,
        ) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>>
        {
            self.ddb
                .scan()
                .table_name(&self.table)
                .send()
                .await
                .unwrap()
                .items
                .unwrap_or_default()
        }
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
        interface_endpoints(
            c,
            &vpc,
            &[
                WORKSPACE_SERVICE,
                RELAY_SERVICE,
                "com.amazonaws.us-east-1.sts",
                "com.amazonaws.us-east-1.kinesis-streams",
            ],
            &ep_sg,
            &ep,
        )
        .await;
        Built {
            vpc,
            ws_subnets: ws,
            ws_sg,
        }
    }

    /// Interface endpoints with private DNS to each service, in the subnets, behind the group.
    pub async fn interface_endpoints(
        c: &Client,
        vpc: &str,
        services: &[&str],
        sg: &str,
        subnets: &[String],
    ) {
        for service in services {
            let mut req = c
                .create_vpc_endpoint()
                .vpc_id(vpc)
                .vpc_endpoint_type(VpcEndpointType::Interface)
                .service_name(*service)
                .private_dns_enabled(true)
                .security_group_ids(sg);
            for s in subnets {
                req = req.subnet_ids(s);
            }
            req.send().await.unwrap();
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
