//! PL-VPC-002: the workspace VPC (and a transit VPC) has DNS resolution enabled.

use super::common::vpc_attribute::attribute_check;
use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::Outcome;
use crate::pure::finding::Severity;
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-VPC-002",
    title: "VPC DNS resolution enabled",
    severity: Severity::Critical,
    rationale: "Without the Amazon DNS resolver, nothing in the VPC resolves the private names of the Databricks endpoints; Databricks requires DNS resolution on a customer-managed VPC.",
    remediation: "aws ec2 modify-vpc-attribute --vpc-id <vpc> --enable-dns-support '{\"Value\":true}'",
    references: &["https://docs.databricks.com/aws/en/security/network/classic/customer-managed-vpc"],
    inputs: &[Input::VpcAttributes],
    ..RuleMeta::DEFAULT
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    attribute_check(ctx, "enableDnsSupport", "DNS resolution", |a| {
        a.enable_dns_support.as_ref()
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testkit::*;
    use crate::pure::finding::Status;

    #[test]
    fn passes_when_enabled() {
        assert_all(&run("PL-VPC-002", &Estate::backend()), Status::Pass);
    }

    #[test]
    fn fails_when_disabled() {
        let mut e = Estate::backend();
        e.attrs_mut()[0].enable_dns_support = Some(crate::pure::model::BoolValue { value: false });
        assert_eq!(status_of(&run("PL-VPC-002", &e), &ids().vpc), Status::Fail);
    }

    #[test]
    fn error_when_attribute_missing() {
        let mut e = Estate::backend();
        e.attrs_mut()[0].enable_dns_support = None;
        assert_all(&run("PL-VPC-002", &e), Status::Error);
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = Estate::backend();
        e.attrs_mut()[0].enable_dns_support = Some(crate::pure::model::BoolValue { value: false });
        e
    }
}
