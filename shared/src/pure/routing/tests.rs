use super::*;
use crate::pure::model::RouteTable;

fn rt(routes: &[(&str, &str)]) -> RouteTable {
    RouteTable {
        route_table_id: "rtb-1".into(),
        vpc_id: "vpc-1".into(),
        associations: vec![],
        routes: routes
            .iter()
            .map(|(d, t)| {
                let mut r = Route {
                    state: Some("active".into()),
                    ..Route::default()
                };
                if d.contains(':') {
                    r.destination_ipv6_cidr_block = Some((*d).into());
                } else {
                    r.destination_cidr_block = Some((*d).into());
                }
                match t.split('-').next() {
                    Some("nat") => r.nat_gateway_id = Some((*t).into()),
                    Some("pcx") => r.vpc_peering_connection_id = Some((*t).into()),
                    Some("tgw") => r.transit_gateway_id = Some((*t).into()),
                    Some("eigw") => r.egress_only_internet_gateway_id = Some((*t).into()),
                    Some("blackhole") => {
                        r.gateway_id = Some("igw-gone".into());
                        r.state = Some("blackhole".into());
                    }
                    _ => r.gateway_id = Some((*t).into()),
                }
                r
            })
            .collect(),
        tags: vec![],
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn lookup_takes_the_longest_prefix() {
    let t = rt(&[
        ("10.0.0.0/16", "local"),
        ("0.0.0.0/0", "nat-1"),
        ("10.0.5.0/24", "eni-fw"),
        ("8.8.8.0/24", "blackhole"),
    ]);
    assert_eq!(lookup(&t, ip("10.0.4.1")).unwrap().target(), "local");
    assert_eq!(lookup(&t, ip("10.0.5.9")).unwrap().target(), "eni-fw");
    assert_eq!(lookup(&t, ip("1.1.1.1")).unwrap().target(), "nat-1");
    // A blackhole still matches, and wins by length.
    assert!(lookup(&t, ip("8.8.8.8")).unwrap().is_blackhole());
    assert!(lookup(&t, ip("2001:db8::1")).is_none());
}

#[test]
fn two_halves_partition_like_a_default_route() {
    let t = rt(&[
        ("10.0.0.0/16", "local"),
        ("0.0.0.0/1", "igw-1"),
        ("128.0.0.0/1", "igw-1"),
    ]);
    let segs = segments(&t, Family::V4);
    assert!(segs.iter().all(|s| s.route.is_some()), "{segs:?}");
    assert_eq!(segs.first().unwrap().lo, 0);
    assert_eq!(segs.last().unwrap().hi, u128::from(u32::MAX));
}

#[test]
fn public_space_excludes_the_vpc_and_private_ranges() {
    let p = public_space(Family::V4, &[Cidr::parse("100.70.0.0/16").unwrap()]);
    let has = |a: &str| {
        let a = u128::from(u32::from(a.parse::<std::net::Ipv4Addr>().unwrap()));
        p.iter().any(|&(lo, hi)| lo <= a && a <= hi)
    };
    assert!(has("1.1.1.1"));
    assert!(has("223.255.255.255"));
    assert!(!has("10.1.1.1"));
    assert!(!has("100.70.3.3"));
    assert!(!has("192.168.0.1"));
    assert!(!has("0.0.0.0"));
}

#[test]
fn ranges_format_as_cidrs_when_they_are_ones() {
    assert_eq!(
        format_range(Family::V4, 0, u128::from(u32::MAX)),
        "0.0.0.0/0"
    );
    assert_eq!(format_range(Family::V6, 0, u128::MAX), "::/0");
    assert_eq!(format_range(Family::V4, 0, 2), "0.0.0.0-0.0.0.2");
}
