//! Pagination: the collector follows every page (moto answers in one page, so this uses mocked
//! SDK responses), and counts one call per page.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use aws_sdk_ec2::operation::describe_vpcs::DescribeVpcsOutput;
use aws_sdk_ec2::types::{Subnet, Vpc};
use aws_sdk_ec2::Client;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use plaudit::collect::{collect, CallCounter, CollectOptions};
use plaudit::snapshot::SnapshotMeta;

fn vpc(id: &str) -> Vpc {
    Vpc::builder().vpc_id(id).cidr_block("10.0.0.0/16").build()
}

#[tokio::test]
async fn every_page_is_read_and_counted() {
    let vpcs = mock!(Client::describe_vpcs)
        .sequence()
        .output(|| {
            DescribeVpcsOutput::builder()
                .vpcs(vpc("vpc-1"))
                .vpcs(vpc("vpc-2"))
                .next_token("p2")
                .build()
        })
        .output(|| {
            DescribeVpcsOutput::builder()
                .vpcs(vpc("vpc-3"))
                .next_token("p3")
                .build()
        })
        .output(|| DescribeVpcsOutput::builder().vpcs(vpc("vpc-4")).build())
        .build();
    let subnets = mock!(Client::describe_subnets)
        .sequence()
        .output(|| {
            aws_sdk_ec2::operation::describe_subnets::DescribeSubnetsOutput::builder()
                .subnets(
                    Subnet::builder()
                        .subnet_id("subnet-1")
                        .vpc_id("vpc-1")
                        .cidr_block("10.0.0.0/24")
                        .build(),
                )
                .next_token("s2")
                .build()
        })
        .output(|| {
            aws_sdk_ec2::operation::describe_subnets::DescribeSubnetsOutput::builder()
                .subnets(
                    Subnet::builder()
                        .subnet_id("subnet-2")
                        .vpc_id("vpc-1")
                        .cidr_block("10.0.1.0/24")
                        .build(),
                )
                .build()
        })
        .build();
    let attrs = mock!(Client::describe_vpc_attribute)
        .match_requests(|r| r.vpc_id().is_some())
        .sequence()
        .output(|| {
            aws_sdk_ec2::operation::describe_vpc_attribute::DescribeVpcAttributeOutput::builder()
                .enable_dns_hostnames(
                    aws_sdk_ec2::types::AttributeBooleanValue::builder()
                        .value(true)
                        .build(),
                )
                .enable_dns_support(
                    aws_sdk_ec2::types::AttributeBooleanValue::builder()
                        .value(true)
                        .build(),
                )
                .build()
        })
        .repeatedly()
        .build();
    // Everything else answers one empty page.
    let rts = mock!(Client::describe_route_tables).then_output(|| {
        aws_sdk_ec2::operation::describe_route_tables::DescribeRouteTablesOutput::builder().build()
    });
    let igws = mock!(Client::describe_internet_gateways).then_output(|| {
        aws_sdk_ec2::operation::describe_internet_gateways::DescribeInternetGatewaysOutput::builder(
        )
        .build()
    });
    let nats = mock!(Client::describe_nat_gateways).then_output(|| {
        aws_sdk_ec2::operation::describe_nat_gateways::DescribeNatGatewaysOutput::builder().build()
    });
    let eps = mock!(Client::describe_vpc_endpoints).then_output(|| {
        aws_sdk_ec2::operation::describe_vpc_endpoints::DescribeVpcEndpointsOutput::builder()
            .build()
    });
    let sgs = mock!(Client::describe_security_groups).then_output(|| {
        aws_sdk_ec2::operation::describe_security_groups::DescribeSecurityGroupsOutput::builder()
            .build()
    });
    let rules = mock!(Client::describe_security_group_rules).then_output(|| aws_sdk_ec2::operation::describe_security_group_rules::DescribeSecurityGroupRulesOutput::builder().build());
    let acls = mock!(Client::describe_network_acls).then_output(|| {
        aws_sdk_ec2::operation::describe_network_acls::DescribeNetworkAclsOutput::builder().build()
    });
    let svc = mock!(Client::describe_vpc_endpoint_service_configurations)
        .then_output(|| aws_sdk_ec2::operation::describe_vpc_endpoint_service_configurations::DescribeVpcEndpointServiceConfigurationsOutput::builder().build());
    let pls = mock!(Client::describe_managed_prefix_lists).then_output(|| aws_sdk_ec2::operation::describe_managed_prefix_lists::DescribeManagedPrefixListsOutput::builder().build());
    let client = mock_client!(
        aws_sdk_ec2,
        RuleMode::MatchAny,
        &[&vpcs, &subnets, &attrs, &rts, &igws, &nats, &eps, &sgs, &rules, &acls, &svc, &pls]
    );

    let counter = CallCounter::default();
    let snap = collect(
        &client,
        &CollectOptions::default(),
        SnapshotMeta::default(),
        &counter,
    )
    .await;
    let ids: Vec<&str> = snap
        .vpcs
        .as_ref()
        .unwrap()
        .iter()
        .map(|v| v.vpc_id.as_str())
        .collect();
    assert_eq!(ids, ["vpc-1", "vpc-2", "vpc-3", "vpc-4"]);
    assert_eq!(snap.subnets.as_ref().unwrap().len(), 2);
    let calls = counter.by_api();
    assert_eq!(calls.get("DescribeVpcs"), Some(&3));
    assert_eq!(calls.get("DescribeSubnets"), Some(&2));
    // Two attribute calls per VPC, all four VPCs (from all three pages).
    assert_eq!(calls.get("DescribeVpcAttribute"), Some(&8));
    assert_eq!(snap.vpc_attributes.as_ref().unwrap().len(), 4);
    assert_eq!(vpcs.num_calls(), 3);
}
