//! Configuration plaudit cannot read never passes (defect 13): a NAT gateway whose state is
//! missing or unknown is not taken for a working one, a NACL DENY whose protocol or ports do not
//! parse is taken to match (it may block), and an ALLOW that does not parse is not taken to admit.

use super::testkit::*;
use crate::pure::finding::Status;
use crate::pure::model::PortRangeJson;

/// Findings of `rule` on `resource`, with the resource named in the panic when there is none.
fn verdict(rule: &str, e: &Estate, resource: &str) -> (Status, String) {
    let f = run(rule, e);
    let x = on(&f, resource);
    (x.status, x.message.clone())
}

#[test]
fn a_nat_gateway_with_a_missing_or_unknown_state_never_passes() {
    for state in ["", "   ", "bogus", "availble", "pending-ish"] {
        let mut e = Estate::backend();
        e.nats_mut()[0].state = state.into();
        // The NAT gateway's own placement (PL-RT-002) and the workspace's route through it
        // (PL-RT-001): neither may pass on a gateway whose state is unknown.
        let (s, m) = verdict("PL-RT-002", &e, &ids().nat);
        assert_eq!(s, Status::Error, "state `{state}`: {m}");
        assert!(m.contains(&ids().nat) && m.contains("state"), "{m}");
        let (s, m) = verdict("PL-RT-001", &e, &ids().rt_private);
        assert_eq!(s, Status::Error, "state `{state}`: {m}");
    }
    // Under isolation a leftover NAT gateway of unknown state is an error, not a pass.
    let mut e = Estate::isolated();
    let mut nat = Estate::backend().nats_mut()[0].clone();
    nat.state = "".into();
    e.nats_mut().push(nat);
    let (s, m) = verdict("PL-NAT-001", &e, &ids().nat);
    assert_eq!(s, Status::Error, "{m}");
}

/// The back-end estate with one more NACL entry on the shared NACL.
fn with_entry(
    n: i32,
    egress: bool,
    proto: &str,
    ports: Option<(i32, i32)>,
    action: &str,
) -> Estate {
    let mut e = Estate::backend();
    e.acls_mut()[0]
        .entries
        .push(acl_entry(n, egress, proto, ports, "0.0.0.0/0", action));
    e
}

#[test]
fn a_nacl_deny_whose_protocol_does_not_parse_never_passes() {
    // Protocol numbers are 0-255: anything else cannot be matched to packets, so the entry may
    // match every packet; before the ALLOW it may block everything.
    for proto in ["256", "1000", "65535", "-2", "gre?", "", "tcp/udp"] {
        let e = with_entry(90, false, proto, Some((443, 443)), "deny");
        let (s, m) = verdict("PL-NACL-001", &e, &ids().acl);
        assert_ne!(s, Status::Pass, "inbound DENY proto `{proto}`: {m}");
        let e = with_entry(90, true, proto, Some((443, 443)), "deny");
        let (s, m) = verdict("PL-NACL-002", &e, &ids().acl);
        assert_ne!(s, Status::Pass, "outbound DENY proto `{proto}`: {m}");
    }
    // A number written another way is still that protocol: `+6` and `06` are TCP.
    for proto in ["+6", "06", " 6 ", "TCP"] {
        let e = with_entry(90, false, proto, Some((443, 443)), "deny");
        let (s, m) = verdict("PL-NACL-001", &e, &ids().acl);
        assert_eq!(s, Status::Fail, "inbound DENY proto `{proto}`: {m}");
    }
}

#[test]
fn a_nacl_deny_whose_ports_do_not_parse_never_passes() {
    // A TCP DENY without a port range, or with one that is not a range, may cover any port.
    for ports in [None, Some((443, 80)), Some((-5, 443)), Some((0, 70000))] {
        let e = with_entry(90, false, "6", ports, "deny");
        let (s, m) = verdict("PL-NACL-001", &e, &ids().acl);
        assert_ne!(s, Status::Pass, "DENY tcp ports {ports:?}: {m}");
    }
}

#[test]
fn a_nacl_allow_that_does_not_parse_admits_nothing_for_sure() {
    // The endpoint subnets' own NACL admits the workspace only through an ALLOW that cannot be
    // read: its protocol (or its port range) does not parse. Whether the workspace gets in cannot
    // be told, so PL-NACL-001 reports error for it, never pass.
    let cases: [(&str, Option<(i32, i32)>); 4] = [
        ("256", Some((0, 65535))),
        ("6", None),
        ("6", Some((65535, 0))),
        ("6", Some((-1, 65535))),
    ];
    for (proto, ports) in cases {
        let mut e = Estate::backend();
        let ep_subnets = ids().ep_subnets;
        let mut acl = e.acls_mut()[0].clone();
        acl.network_acl_id = "acl-0endpoints".into();
        acl.associations = ep_subnets
            .iter()
            .map(|s| crate::pure::model::NetworkAclAssociation {
                subnet_id: s.into(),
            })
            .collect();
        let mut allow = acl_entry(100, false, proto, None, "10.0.0.0/16", "allow");
        allow.port_range = ports.map(|(from, to)| PortRangeJson { from, to });
        acl.entries = vec![
            allow,
            acl_entry(100, true, "-1", None, "0.0.0.0/0", "allow"),
        ];
        e.acls_mut()[0]
            .associations
            .retain(|a| !ep_subnets.iter().any(|s| *s == a.subnet_id));
        e.acls_mut().push(acl);
        let (s, m) = verdict("PL-NACL-001", &e, "acl-0endpoints");
        assert_eq!(
            s,
            Status::Error,
            "ALLOW proto `{proto}` ports {ports:?}: {m}"
        );
    }
}
