//! PL-VPC-001: the workspace VPC (and a transit VPC) has DNS hostnames enabled.

use super::common::vpc_attribute::attribute_check;
use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::Outcome;
use crate::pure::finding::Severity;
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-VPC-001",
    title: "VPC DNS hostnames enabled",
    severity: Severity::Critical,
    rationale: "Databricks requires DNS hostnames on a customer-managed VPC, and AWS requires them before an interface endpoint can use private DNS, which PrivateLink depends on.",
    remediation: "aws ec2 modify-vpc-attribute --vpc-id <vpc> --enable-dns-hostnames '{\"Value\":true}'",
    references: &["https://docs.databricks.com/aws/en/security/network/classic/customer-managed-vpc"],
    inputs: &[Input::VpcAttributes],
    ..RuleMeta::DEFAULT
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    attribute_check(ctx, "enableDnsHostnames", "DNS hostnames", |a| {
        a.enable_dns_hostnames.as_ref()
    })
}

/// Shared by PL-VPC-001 and PL-VPC-002: one boolean VPC attribute, on the workspace VPCs and the
/// front-end VPCs.
#[cfg(test)]
pub(crate) mod tests {
    use super::super::testkit::*;
    use crate::pure::finding::Status;

    #[test]
    fn passes_when_enabled() {
        assert_all(&run("PL-VPC-001", &Estate::backend()), Status::Pass);
    }

    #[test]
    fn fails_when_disabled() {
        let mut e = Estate::backend();
        e.attrs_mut()[0].enable_dns_hostnames =
            Some(crate::pure::model::BoolValue { value: false });
        let f = run("PL-VPC-001", &e);
        assert_eq!(status_of(&f, &ids().vpc), Status::Fail);
        assert!(f[0].message.contains("disabled"));
    }

    #[test]
    fn error_when_vpc_has_no_attribute_entry() {
        let mut e = Estate::backend();
        e.attrs_mut().clear();
        assert_all(&run("PL-VPC-001", &e), Status::Error);
    }

    #[test]
    fn checks_the_transit_vpc_too() {
        let mut e = Estate::backend();
        e.add_vpc(1, false);
        e.manifest.workspaces[0]
            .modes
            .push(crate::pure::deployment::Mode::FrontEnd);
        e = e.with_transit(1, &["10.100.0.0/16"]);
        e.attrs_mut()[1].enable_dns_hostnames =
            Some(crate::pure::model::BoolValue { value: false });
        let f = run("PL-VPC-001", &e);
        assert_eq!(status_of(&f, &Ids::new(1).vpc), Status::Fail);
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = Estate::backend();
        e.attrs_mut()[0].enable_dns_hostnames =
            Some(crate::pure::model::BoolValue { value: false });
        e
    }
}
