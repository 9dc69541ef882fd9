//! Resource states, classified once: which states mean "exists and carries traffic", "exists but
//! does not carry traffic", "gone", or "cannot tell".
//!
//! Every rule asks these functions instead of comparing state strings itself, so a state AWS adds
//! tomorrow is `Unknown` everywhere (and the rules that depend on it report `error`), never a
//! silent pass. Comparisons ignore ASCII case: the EC2 API sends `available`, CloudFormation and
//! some SDK printers `Available`.
//!
//! The tables are documented in `docs/semantics.md`.

/// Where a resource is in its life, as far as traffic is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Life {
    /// Exists and carries traffic.
    Live,
    /// Exists (it is billed, it can be fixed, it may hold a name) but carries no traffic.
    Broken,
    /// Deleted or on its way out: neither a path, nor a duplicate, nor a failure of its own.
    Gone,
    /// No state, or one plaudit does not know: a verdict that depends on it is an `error`.
    Unknown,
}

impl Life {
    pub fn is_live(self) -> bool {
        self == Life::Live
    }

    pub fn is_gone(self) -> bool {
        self == Life::Gone
    }

    /// Exists in the account: live or broken.
    pub fn exists(self) -> bool {
        matches!(self, Life::Live | Life::Broken)
    }
}

fn classify(state: &str, table: &[(&str, Life)]) -> Life {
    let s = state.trim();
    table
        .iter()
        .find(|(name, _)| s.eq_ignore_ascii_case(name))
        .map(|(_, l)| *l)
        .unwrap_or(Life::Unknown)
}

/// `VpcEndpoint.State` (DescribeVpcEndpoints).
///
/// `pendingAcceptance` and `pending` wait for the service owner or for provisioning; `rejected`
/// and `failed` stay in the account until deleted; `partial` (some subnets failed) is not
/// serving as declared: all four carry no (or not all) traffic and are reported by PL-EP-004.
/// `expired` is a connection request that was never accepted: AWS keeps the record, nothing can
/// revive it, so it counts as gone with `deleting` and `deleted`.
pub fn endpoint(state: &str) -> Life {
    classify(
        state,
        &[
            ("available", Life::Live),
            ("pendingAcceptance", Life::Broken),
            ("pending", Life::Broken),
            ("rejected", Life::Broken),
            ("failed", Life::Broken),
            ("partial", Life::Broken),
            ("expired", Life::Gone),
            ("deleting", Life::Gone),
            ("deleted", Life::Gone),
        ],
    )
}

/// `NatGateway.State` (DescribeNatGateways).
///
/// `pending` is being created and forwards nothing yet. `failed` never forwarded anything and AWS
/// deletes it automatically after about an hour, so it is gone like `deleting` and `deleted`.
pub fn nat(state: &str) -> Life {
    classify(
        state,
        &[
            ("available", Life::Live),
            ("pending", Life::Broken),
            ("failed", Life::Gone),
            ("deleting", Life::Gone),
            ("deleted", Life::Gone),
        ],
    )
}

/// `InternetGateway.Attachments[].State` (DescribeInternetGateways).
///
/// The API reports an attached internet gateway as `available` (the `attached` value of the
/// attachment-state enum is what egress-only gateways and the documentation use); both carry
/// traffic. `attaching` does not yet; `detaching` and `detached` are on their way out.
pub fn igw_attachment(state: &str) -> Life {
    classify(
        state,
        &[
            ("available", Life::Live),
            ("attached", Life::Live),
            ("attaching", Life::Broken),
            ("detaching", Life::Gone),
            ("detached", Life::Gone),
        ],
    )
}

/// `Route.State` (DescribeRouteTables): `active`, or `blackhole` when the target is gone (the
/// route still matches and drops what it matches). `None` is a route written without its state
/// (hand-written snapshots; the CLI always prints it): the router decides from the target, see
/// [`crate::pure::routing`].
pub fn route(state: Option<&str>) -> RouteState {
    match state.map(str::trim) {
        None | Some("") => RouteState::Unstated,
        Some(s) if s.eq_ignore_ascii_case("active") => RouteState::Active,
        Some(s) if s.eq_ignore_ascii_case("blackhole") => RouteState::Blackhole,
        Some(_) => RouteState::Unknown,
    }
}

/// A route's own state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteState {
    Active,
    Blackhole,
    /// No `State` field.
    Unstated,
    /// A value plaudit does not know.
    Unknown,
}

/// "`deleted`" or "no state" for messages.
pub fn shown(state: &str) -> String {
    if state.trim().is_empty() {
        "no state".to_string()
    } else {
        format!("`{state}`")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_states_follow_the_api_enum() {
        for (s, l) in [
            ("available", Life::Live),
            ("Available", Life::Live),
            ("pendingAcceptance", Life::Broken),
            ("PendingAcceptance", Life::Broken),
            ("pending", Life::Broken),
            ("rejected", Life::Broken),
            ("failed", Life::Broken),
            ("expired", Life::Gone),
            ("deleting", Life::Gone),
            ("Deleted", Life::Gone),
            ("", Life::Unknown),
            ("availble", Life::Unknown),
        ] {
            assert_eq!(endpoint(s), l, "{s}");
        }
    }

    #[test]
    fn nat_and_igw_states() {
        assert_eq!(nat("available"), Life::Live);
        assert_eq!(nat("pending"), Life::Broken);
        assert_eq!(nat("failed"), Life::Gone);
        assert_eq!(nat("deleted"), Life::Gone);
        assert_eq!(nat(""), Life::Unknown);
        assert_eq!(igw_attachment("available"), Life::Live);
        assert_eq!(igw_attachment("attached"), Life::Live);
        assert_eq!(igw_attachment("attaching"), Life::Broken);
        assert_eq!(igw_attachment("detached"), Life::Gone);
        assert_eq!(igw_attachment("Detaching"), Life::Gone);
        assert_eq!(igw_attachment("weird"), Life::Unknown);
    }

    #[test]
    fn route_states() {
        assert_eq!(route(Some("active")), RouteState::Active);
        assert_eq!(route(Some("Blackhole")), RouteState::Blackhole);
        assert_eq!(route(None), RouteState::Unstated);
        assert_eq!(route(Some("gone")), RouteState::Unknown);
    }
}
