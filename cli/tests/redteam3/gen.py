#!/usr/bin/env python3
"""Third red-team estates for cli/tests/redteam3.rs (issue 9): the areas the first two rounds touched least.

Run from the repository root: `python3 cli/tests/redteam3/gen.py` (add `--probe` to print plaudit's
answer for every expectation; needs $CARGO_TARGET_DIR/debug/plaudit). It reuses the first red team's
builder (cli/tests/redteam/gen.py, itself on examples/generate.py) without modifying it, and writes one
snapshot folder per case under cli/tests/redteam3/<case>/ plus cli/tests/redteam3.rs. The expected
verdicts were decided from the AWS and Databricks documentation before looking at plaudit's answer.

Themes: the same network described by a manifest, by tags and by discovery must give the same verdicts;
workspaces sharing a VPC; conditional ports (compliance security profile, legacy metastore, custom DNS);
serverless endpoint services; front-end; endpoint states read by every rule; regions missing from the
service table; route-table associations; the CLI's output contract (exit codes, --fail-on, --rules,
waivers, JSON fields).
"""
import copy
import json
import os
import re
import shutil
import subprocess
import sys
sys.dont_write_bytecode = True
sys.path.insert(0, "cli/tests/redteam")
import gen as rg  # noqa: E402
g = rg.g

HERE = "cli/tests/redteam3"
rg.HERE = HERE
Case, emit, add_pl, replace_ws_sg, be_egress = rg.Case, rg.emit, rg.add_pl, rg.replace_ws_sg, rg.be_egress
VID, WS_SG, EP_SG, TV, TSG, I = rg.VID, rg.WS_SG, rg.EP_SG, rg.TV, rg.TSG, rg.I
WSA, WSB, EPA, EPB = rg.WSA, rg.WSB, rg.EPA, rg.EPB
PORTS, ALLOW_ALL = rg.PORTS, rg.ALLOW_ALL
TS = ["subnet-0a1b2c3d4e5f6071d", "subnet-0a1b2c3d4e5f6071e"]
FE_EP = "vpce-0a1b2c3d4e5f60722"
TACL = "acl-0a1b2c3d4e5f60721"
SVC = "vpce-svc-0c1b2c3d4e5f60790"


# Extra per-case fields (the first builder's Case has none of these).
def ext(c):
    for k, v in (("args", []), ("equiv", []), ("equiv_skip", []), ("top", []), ("count", [])):
        if not hasattr(c, k):
            setattr(c, k, v)
    return c


_orig_emit = emit


def emit(c):  # noqa: F811
    ext(c)
    _orig_emit(c)


def route(dest, **target):
    r = {"Origin": "CreateRoute", "State": "active"}
    if dest.startswith("pl-"):
        r["DestinationPrefixListId"] = dest
    elif ":" in dest:
        r["DestinationIpv6CidrBlock"] = dest
    else:
        r["DestinationCidrBlock"] = dest
    r.update(target)
    return r


def snapshot_meta(**kv):
    def f(d):
        p = os.path.join(d, "snapshot.json")
        o = json.load(open(p))
        for k, v in kv.items():
            if v is None:
                o.pop(k, None)
            else:
                o[k] = v
        rg.dump_compact(d, "snapshot.json", o)
    return f


def tag(obj, k, v):
    obj.setdefault("Tags", []).append({"Key": k, "Value": v})


def tag_workspace(c, name="etl", modes=None, subnets=(WSA, WSB), sgs=(WS_SG,), vid=VID):
    for v in c.e.vpcs:
        if v["VpcId"] == vid:
            tag(v, "plaudit:workspace", name)
            if modes:
                tag(v, "plaudit:modes", modes)
    for s in subnets:
        tag(c.subnet(s), "plaudit:workspace", name)
    for s in c.e.sgs:
        if s["GroupId"] in sgs:
            tag(s, "plaudit:workspace", name)


def manifest(modes, csp=False, hive=None, dns=None, subnets=(WSA, WSB), sgs=(WS_SG,), extra=""):
    m = f"""version: 1
workspaces:
  - name: etl
    vpc_id: {VID}
    subnet_ids: [{', '.join(subnets)}]
    security_group_ids: [{', '.join(sgs)}]
    modes: {modes}
    compliance_security_profile: {str(csp).lower()}
"""
    if hive is not None:
        m += f"    legacy_hive_metastore: {str(hive).lower()}\n"
    if dns is not None:
        m += f"    custom_dns: {str(dns).lower()}\n"
    return m + extra


def clone_ep(c, eid, new, **kv):
    d = copy.deepcopy(c.ep(eid))
    d["VpcEndpointId"] = new
    d.update(kv)
    c.e.eps.append(d)
    return d


def service(c, principals, acceptance=True, nlb=True, state="Available", permissions=True, region="us-east-1",
            partition="aws"):
    c.e.services = [{
        "ServiceType": [{"ServiceType": "Interface"}], "ServiceId": SVC,
        "ServiceName": f"com.amazonaws.vpce.{region}.{SVC}", "ServiceState": state,
        "AvailabilityZones": [f"{region}a", f"{region}b"], "AcceptanceRequired": acceptance, "ManagesVpcEndpoints": False,
        "SupportedIpAddressTypes": ["ipv4"], "BaseEndpointDnsNames": [f"{SVC}.{region}.vpce.amazonaws.com"],
        "PrivateDnsNameConfiguration": {}, "Tags": g.tags(Name="reporting-db")}]
    if nlb is True:
        c.e.services[0]["NetworkLoadBalancerArns"] = [
            f"arn:{partition}:elasticloadbalancing:{region}:{g.ACCOUNT}:loadbalancer/net/reporting-db/0a1b2c3d4e5f6071"]
    elif nlb == "gwlb":
        c.e.services[0]["GatewayLoadBalancerArns"] = [
            f"arn:{partition}:elasticloadbalancing:{region}:{g.ACCOUNT}:loadbalancer/gwy/inspect/0a1b2c3d4e5f6071"]
        c.e.services[0]["ServiceType"] = [{"ServiceType": "GatewayLoadBalancer"}]
    c.e.permissions = {SVC: {"AllowedPrincipals": [
        {"PrincipalType": "Role" if p != "*" else "All", "Principal": p, "ServicePermissionId": f"sp-0a1b2c3d4e5f6071{n}",
         "ServiceId": SVC} for n, p in enumerate(principals)]}} if permissions else {}


DBX_ROLE = "arn:aws:iam::565502421330:role/private-connectivity-role-us-east-1"
GOV_WS = "com.amazonaws.vpce.us-gov-west-1.vpce-svc-0f25e28401cbc9418"
GOV_RELAY = "com.amazonaws.vpce.us-gov-west-1.vpce-svc-05f27abef1a1a3faa"


def move_region(c, region, azs, az_ids, ws_svc, relay_svc):
    for s in c.e.subnets:
        k = ["us-east-1a", "us-east-1b", "us-east-1c"].index(s["AvailabilityZone"])
        s["AvailabilityZone"], s["AvailabilityZoneId"] = azs[k], az_ids[k]
        s["SubnetArn"] = s["SubnetArn"].replace("us-east-1", region)
    for ep in c.e.eps:
        ep["ServiceName"] = ep["ServiceName"].replace(g.WORKSPACE_SVC, ws_svc).replace(g.RELAY_SVC, relay_svc).replace(
            "com.amazonaws.us-east-1", f"com.amazonaws.{region}")


def cases():
    # ================================================================ A. manifest vs tags vs discovery
    # The compliant isolated estate, described three ways: the same verdicts for every rule.
    iso_dirs = [("m01_iso_manifest", True), ("m01_iso_tags", False), ("m01_iso_discovered", False)]
    for name, with_manifest in iso_dirs:
        c = ext(Case(name, "iso")); c.build()
        if name == "m01_iso_manifest":
            c.manifest = manifest("[isolated]")
        elif name == "m01_iso_tags":
            tag_workspace(c, modes="isolated")
        c.no_manifest = not with_manifest
        for r in ["PL-RT-003", "PL-NAT-001", "PL-IGW-001", "PL-SG-010", "PL-NACL-003", "PL-EPSG-001", "PL-SG-004",
                  "PL-EP-009", "PL-SUB-005", "PL-EP-007"]:
            c.want(r, None, "pass")
        c.exit = 3  # the serverless files are not in these snapshots: PL-SL-001/002 are errors, alike
        c.equiv = [d for d in iso_dirs if d[0] != name]
        emit(c)
    # The compliant back-end estate (NAT egress), described three ways.
    be_dirs = [("m02_be_manifest", True), ("m02_be_tags", False), ("m02_be_discovered", False)]
    for name, with_manifest in be_dirs:
        c = ext(Case(name)); c.build()
        if name == "m02_be_manifest":
            c.manifest = manifest("[back-end]")
        elif name == "m02_be_tags":
            tag_workspace(c, modes="back-end")
        c.no_manifest = not with_manifest
        for r in ["PL-RT-001", "PL-RT-002", "PL-SUB-004", "PL-EPSG-001", "PL-SG-006", "PL-NACL-002", "PL-EP-001",
                  "PL-EP-002"]:
            c.want(r, None, "pass")
        c.equiv = [d for d in be_dirs if d[0] != name]
        emit(c)
    # The same isolated estate that drifted (a NAT gateway in the endpoint subnet, the workspace table routing
    # 0.0.0.0/0 to it, workspace egress to 0.0.0.0/0 on all ports): the three descriptions fail alike.
    drift_dirs = [("m03_iso_drift_manifest", True), ("m03_iso_drift_tags", False)]
    for name, with_manifest in drift_dirs:
        c = ext(Case(name, "iso", ws_egress=[("tcp", 0, 65535, WS_SG), ("udp", 0, 65535, WS_SG), ("-1", 0, 0, "0.0.0.0/0")]))
        c.build()
        c.e.nat("nat-0c1b2c3d4e5f60701", VID, EPA)
        c.rt(I["rt_priv"])["Routes"].append(route("0.0.0.0/0", NatGatewayId="nat-0c1b2c3d4e5f60701"))
        if with_manifest:
            c.manifest = manifest("[isolated]")
        else:
            tag_workspace(c, modes="isolated")
        c.no_manifest = not with_manifest
        c.want("PL-NAT-001", "nat-0c1b2c3d4e5f60701", "fail"); c.want("PL-SG-010", WS_SG, "fail")
        # a NAT gateway's own internet exit needs an IGW; without one the route leads nowhere public, but
        # the isolation rules still see a route to a NAT gateway (fail closed) or no path: not a pass of RT-003 alone
        c.equiv = [d for d in drift_dirs if d[0] != name]
        emit(c)
    # Transit VPC declared in the manifest (client_cidrs) vs tagged plaudit:role=transit: the transit
    # endpoint's own verdicts (present, private DNS, available, zones) are the same.
    fe_dirs = [("m04_transit_manifest", True), ("m04_transit_tags", False)]
    for name, with_manifest in fe_dirs:
        c = ext(Case(name, "fe")); c.build()
        if not with_manifest:
            tag_workspace(c, modes="back-end,front-end")
        c.no_manifest = not with_manifest
        c.want("PL-EP-008", None, "pass"); c.want("PL-EP-003", FE_EP, "pass"); c.want("PL-EP-007", FE_EP, "pass")
        c.want("PL-EP-004", FE_EP, "pass")
        c.equiv = [d for d in fe_dirs if d[0] != name]
        c.equiv_skip = ["PL-EPSG-002", "PL-NACL-004", "PL-EPSG-003"]  # need the client ranges only a manifest gives
        emit(c)
    # Tagged transit VPC whose front-end endpoint is only pendingAcceptance: PL-EP-008 fails, as with a manifest.
    c = ext(Case("m04_transit_tags_pending", "fe")); c.build()
    tag_workspace(c, modes="back-end,front-end")
    c.ep(FE_EP)["State"] = "pendingAcceptance"
    c.no_manifest = True
    c.want("PL-EP-008", None, "fail", "pendingAcceptance")
    emit(c)

    # Two workspaces in one VPC: `etl` back-end with NAT egress, `vault` isolated on its own subnets and table.
    # The NAT gateway and IGW in the VPC break `vault`'s isolation; `etl`'s own verdicts are untouched.
    VA, VB, VSG, VRT = "subnet-0c1b2c3d4e5f60711", "subnet-0c1b2c3d4e5f60712", "sg-0c1b2c3d4e5f60713", "rtb-0c1b2c3d4e5f60714"
    def two_ws(c, vault_modes):
        c.e.subnet(VA, VID, "10.30.8.0/22", 0, "vault-a"); c.e.subnet(VB, VID, "10.30.12.0/22", 1, "vault-b")
        c.e.rt(VRT, VID, [VA, VB], [("10.30.0.0/16", "local"), (g.S3_PL, I["s3"])], name="vault")
        c.ep(I["s3"])["RouteTableIds"].append(VRT)
        c.e.acls[0]["Associations"] += [{"NetworkAclAssociationId": f"aclassoc-0c1b2c3d4e5f6071{k}", "NetworkAclId": I["acl"],
                                         "SubnetId": s} for k, s in enumerate([VA, VB])]
        c.e.sg(VSG, VID, "vault-workspace", [("tcp", 0, 65535, VSG), ("udp", 0, 65535, VSG)],
               [("tcp", 0, 65535, VSG), ("udp", 0, 65535, VSG)] + [("tcp", lo, hi, "10.30.0.0/16") for lo, hi in PORTS]
               + [("tcp", 443, 443, g.S3_PL)])
        for s in c.e.sgs:
            if s["GroupId"] == EP_SG:
                pass
        for lo, hi in PORTS:
            c.e.rules.append({"SecurityGroupRuleId": f"sgr-0c1b2c3d4e5f6{lo:05d}", "GroupId": EP_SG, "GroupOwnerId": g.ACCOUNT,
                              "IsEgress": False, "IpProtocol": "tcp", "FromPort": lo, "ToPort": hi,
                              "ReferencedGroupInfo": {"GroupId": VSG, "UserId": g.ACCOUNT}, "Tags": []})
        c.manifest = manifest("[back-end]") + f"""  - name: vault
    vpc_id: {VID}
    subnet_ids: [{VA}, {VB}]
    security_group_ids: [{VSG}]
    modes: {vault_modes}
    compliance_security_profile: true
"""
    c = ext(Case("m05_shared_vpc_backend_and_isolated")); c.build(); two_ws(c, "[isolated]")
    c.want("PL-NAT-001", I["nat"], "fail", "`vault`"); c.want("PL-IGW-001", I["igw"], "fail")
    c.want("PL-RT-003", VRT, "pass"); c.want("PL-RT-001", I["rt_priv"], "pass"); c.want("PL-RT-002", I["nat"], "pass")
    c.want("PL-SG-004", VSG, "pass"); c.want("PL-SG-010", VSG, "pass"); c.want("PL-SG-007", VSG, "pass")
    c.want("PL-SG-004", WS_SG, "pass"); c.want("PL-EPSG-001", EP_SG, "pass")
    c.want("PL-RT-001", VRT, "absent")  # RT-001 is not run under isolation
    c.top.append(("/findings/rule=PL-EPSG-001/workspaces", '["etl", "vault"]'))
    emit(c)
    # The same VPC, but `vault` shares etl's route table (0.0.0.0/0 -> NAT): isolation broken on that table.
    c = ext(Case("m05_shared_vpc_isolated_on_nat_table")); c.build(); two_ws(c, "[isolated]")
    c.e.rts = [r for r in c.e.rts if r["RouteTableId"] != VRT]
    c.rt(I["rt_priv"])["Associations"] += [{"Main": False, "RouteTableAssociationId": f"rtbassoc-0c1b2c3d4e5f6072{k}",
                                            "RouteTableId": I["rt_priv"], "SubnetId": s, "AssociationState": {"State": "associated"}}
                                           for k, s in enumerate([VA, VB])]
    c.ep(I["s3"])["RouteTableIds"] = [I["rt_priv"]]
    c.want("PL-RT-003", I["rt_priv"], "fail", I["nat"])
    emit(c)

    # Manifest naming a subnet of another VPC: Databricks rejects it.
    V2 = "vpc-0c1b2c3d4e5f60720"
    c = ext(Case("m06_manifest_foreign_subnet")); c.build()
    c.e.vpc(V2, "10.60.0.0/16", "other")
    c.e.subnet("subnet-0c1b2c3d4e5f60721", V2, "10.60.4.0/22", 1, "other-b")
    c.manifest = manifest("[back-end]", subnets=(WSA, "subnet-0c1b2c3d4e5f60721"))
    c.want("PL-SUB-001", None, "fail", "subnet-0c1b2c3d4e5f60721")
    emit(c)
    # Manifest naming a security group of another VPC.
    c = ext(Case("m06_manifest_foreign_sg")); c.build()
    c.e.vpc(V2, "10.60.0.0/16", "other")
    c.e.sg("sg-0c1b2c3d4e5f60722", V2, "other-workspace", [("tcp", 0, 65535, "sg-0c1b2c3d4e5f60722")],
           [("-1", 0, 0, "0.0.0.0/0")])
    c.manifest = manifest("[back-end]", sgs=(WS_SG, "sg-0c1b2c3d4e5f60722"))
    c.want("PL-SG-001", None, "fail", "sg-0c1b2c3d4e5f60722")
    emit(c)

    # ================================================================ conditional ports
    # Compliance security profile on: the NACL allows outbound 443, 6666, 8443-8451, 3306 to 0.0.0.0/0 but not 2443.
    nacl_no_2443 = [(100, False, "-1", None, "0.0.0.0/0", "allow"), (90, True, "-1", None, "10.30.0.0/16", "allow"),
                    (95, True, "6", (443, 443), "0.0.0.0/0", "allow"), (96, True, "6", (6666, 6666), "0.0.0.0/0", "allow"),
                    (97, True, "6", (8443, 8451), "0.0.0.0/0", "allow"), (98, True, "6", (3306, 3306), "0.0.0.0/0", "allow"),
                    (99, True, "-1", None, "0.0.0.0/0", "deny")]
    c = ext(Case("p01_csp_nacl_without_2443", ws_acl_entries=nacl_no_2443)); c.build()
    c.manifest = manifest("[back-end]", csp=True)
    c.want("PL-NACL-002", I["acl"], "fail", "2443")
    emit(c)
    c = ext(Case("p01_no_csp_nacl_without_2443", ws_acl_entries=nacl_no_2443)); c.build()
    c.manifest = manifest("[back-end]", csp=False)
    c.want("PL-NACL-002", I["acl"], "pass")
    emit(c)
    # CSP on: endpoint SG admits 443/6666/8443-8451 from the workspace, but not 2443.
    c = ext(Case("p01_csp_epsg_without_2443", ep_ingress=[("tcp", 443, 443, WS_SG), ("tcp", 6666, 6666, WS_SG),
                                                          ("tcp", 8443, 8451, WS_SG)])); c.build()
    c.manifest = manifest("[back-end]", csp=True)
    c.want("PL-EPSG-001", EP_SG, "fail", "2443")
    emit(c)
    # Legacy Hive metastore in use, no 3306 egress: needed port missing.
    eg_no3306 = [("tcp", 0, 65535, WS_SG), ("udp", 0, 65535, WS_SG)] + [("tcp", lo, hi, "0.0.0.0/0") for lo, hi in PORTS]
    c = ext(Case("p02_hive_without_3306", ws_egress=eg_no3306)); c.build()
    c.manifest = manifest("[back-end]", hive=True)
    c.want("PL-SG-008", WS_SG, "fail", "3306")
    emit(c)
    c = ext(Case("p02_no_hive_without_3306", ws_egress=eg_no3306)); c.build()
    c.manifest = manifest("[back-end]", hive=False)
    c.want("PL-SG-008", WS_SG, "not_fail")
    emit(c)
    # Isolated workspace with a leftover 3306 rule to 0.0.0.0/0: reported (info).
    c = ext(Case("p02_iso_leftover_3306", "iso")); c.build()
    for s in c.e.sgs:
        if s["GroupId"] == WS_SG:
            pass
    replace_ws_sg(c, [("tcp", 0, 65535, WS_SG), ("udp", 0, 65535, WS_SG)],
                  [("tcp", 0, 65535, WS_SG), ("udp", 0, 65535, WS_SG)] + [("tcp", lo, hi, "10.30.0.0/16") for lo, hi in PORTS]
                  + [("tcp", 443, 443, g.S3_PL), ("tcp", 3306, 3306, "0.0.0.0/0")])
    c.manifest = manifest("[isolated]", csp=True)
    c.want("PL-SG-008", WS_SG, "fail", "3306")
    emit(c)
    # Custom DNS: only UDP 53 is allowed out; DNS also needs TCP 53 (large answers, zone transfers).
    c = ext(Case("p03_custom_dns_udp_only", ws_egress=be_egress(extra=[("udp", 53, 53, "10.0.0.0/8")]))); c.build()
    c.manifest = manifest("[back-end]", dns=True)
    c.want("PL-SG-008", WS_SG, "fail", "53")
    emit(c)
    c = ext(Case("p03_custom_dns_none", ws_egress=be_egress())); c.build()
    c.manifest = manifest("[back-end]", dns=True)
    c.want("PL-SG-008", WS_SG, "fail", "53")
    emit(c)
    # Custom DNS servers on-premises (10.0.0.0/8 over Direct Connect), TCP and UDP 53 allowed to them.
    c = ext(Case("p03_custom_dns_both", ws_egress=be_egress(extra=[("udp", 53, 53, "10.0.0.0/8"), ("tcp", 53, 53, "10.0.0.0/8")])))
    c.build()
    c.manifest = manifest("[back-end]", dns=True)
    c.want("PL-SG-008", WS_SG, "not_fail")
    emit(c)

    # ================================================================ serverless
    def sl_case(name, principals, region="us-east-1", **kw):
        c = ext(Case(name, "iso", region=region)); c.build()
        if region != "us-east-1":  # the subnets live in the audited region too
            for s in c.e.subnets:
                s["AvailabilityZone"] = s["AvailabilityZone"].replace("us-east-1", region)
        service(c, principals, region=region, partition="aws-us-gov" if region.startswith("us-gov") else "aws", **kw)
        c.manifest = manifest("[isolated]", csp=True, extra=f"serverless_endpoint_services: [{SVC}]\n")
        return c
    c = sl_case("s01_sl_clean", [DBX_ROLE])
    c.want("PL-SL-001", SVC, "pass"); c.want("PL-SL-002", SVC, "pass")
    emit(c)
    c = sl_case("s01_sl_role_other_region", ["arn:aws:iam::565502421330:role/private-connectivity-role-us-west-2"])
    c.want("PL-SL-002", SVC, "fail", "private-connectivity-role-us-east-1")
    emit(c)
    c = sl_case("s01_sl_star_and_role", ["*", DBX_ROLE])
    c.want("PL-SL-002", SVC, "fail", "*")
    emit(c)
    c = sl_case("s01_sl_gwlb_backed", [DBX_ROLE], nlb="gwlb")
    c.want("PL-SL-001", SVC, "fail")
    emit(c)
    c = sl_case("s01_sl_no_acceptance", [DBX_ROLE], acceptance=False)
    c.want("PL-SL-001", SVC, "fail")
    emit(c)
    c = sl_case("s01_sl_permissions_missing", [DBX_ROLE], permissions=False)
    c.want("PL-SL-002", SVC, "error", SVC)
    emit(c)
    # A service declared in the manifest that the snapshot does not hold.
    c = sl_case("s01_sl_declared_absent", [DBX_ROLE])
    c.e.services, c.e.permissions = [], {}
    c.want("PL-SL-001", None, "error", SVC); c.want("PL-SL-002", None, "error", SVC)
    emit(c)
    # The service exists but is in state Failed: it carries nothing.
    c = sl_case("s01_sl_service_failed", [DBX_ROLE], state="Failed")
    c.want("PL-SL-001", SVC, "fail", "Failed")
    emit(c)
    # GovCloud: the commercial role is the wrong principal; the GovCloud civilian role is right.
    c = sl_case("s02_sl_gov_commercial_role", ["arn:aws:iam::565502421330:role/private-connectivity-role-us-gov-west-1"],
                region="us-gov-west-1")
    c.want("PL-SL-002", SVC, "fail")
    emit(c)
    c = sl_case("s02_sl_gov_civilian_role", ["arn:aws-us-gov:iam::347038500609:role/private-connectivity-role-us-gov-west-1"],
                region="us-gov-west-1")
    c.want("PL-SL-002", SVC, "pass")
    emit(c)

    # ================================================================ front-end
    # Service Direct endpoint in the transit VPC is a front-end endpoint; its name is in the table.
    c = ext(Case("f01_service_direct_in_transit", "fe")); c.build()
    c.ep(FE_EP)["ServiceName"] = "com.amazonaws.vpce.us-east-1.vpce-svc-0a1a39ada4ec3bcdc"
    c.want("PL-EP-005", FE_EP, "pass"); c.want("PL-EP-008", None, "pass")
    emit(c)
    # A front-end endpoint subnet not associated with any NACL in the snapshot: unknown, never a pass.
    c = ext(Case("f02_transit_subnet_without_nacl", "fe")); c.build()
    for a in c.e.acls:
        if a["NetworkAclId"] == TACL:
            a["Associations"] = [x for x in a["Associations"] if x["SubnetId"] != TS[1]]
    c.want("PL-NACL-004", None, "error", TS[1])
    emit(c)
    # Front-end endpoint deleted, a new one available in the transit VPC: present.
    c = ext(Case("f03_transit_deleted_plus_live", "fe")); c.build()
    clone_ep(c, FE_EP, "vpce-0c1b2c3d4e5f60731", State="deleted", PrivateDnsEnabled=False, SubnetIds=[TS[0]])
    c.want("PL-EP-008", None, "pass"); c.want("PL-EP-006", None, "not_fail"); c.want("PL-EP-003", "vpce-0c1b2c3d4e5f60731", "not_fail")
    c.want("PL-EP-007", None, "not_fail")
    emit(c)
    # Transit VPC holding only a rejected front-end endpoint: no front-end endpoint.
    c = ext(Case("f03_transit_only_rejected", "fe")); c.build()
    c.ep(FE_EP)["State"] = "rejected"
    c.want("PL-EP-008", None, "fail", "rejected")
    emit(c)
    # The transit SG admits the clients on 443, the NACL of one endpoint subnet denies 10.200.0.0/16 on 443.
    c = ext(Case("f04_transit_second_nacl_denies", "fe")); c.build()
    for a in c.e.acls:
        if a["NetworkAclId"] == TACL:
            a["Associations"] = [x for x in a["Associations"] if x["SubnetId"] != TS[1]]
    c.e.acl("acl-0c1b2c3d4e5f60732", TV, [TS[1]], [(50, False, "6", (443, 443), "10.200.0.0/16", "deny")] + ALLOW_ALL)
    c.want("PL-NACL-004", "acl-0c1b2c3d4e5f60732", "fail", "10.200.0.0/16"); c.want("PL-NACL-004", TACL, "pass")
    emit(c)

    # ================================================================ states x rules
    # A deleted relay endpoint without private DNS, in a workspace subnet and one zone; the live one is fine.
    c = ext(Case("e01_deleted_relay_everywhere")); c.build()
    clone_ep(c, I["relay"], "vpce-0c1b2c3d4e5f60741", State="deleted", PrivateDnsEnabled=False, SubnetIds=[WSA])
    c.want("PL-EP-003", "vpce-0c1b2c3d4e5f60741", "not_fail"); c.want("PL-EP-007", "vpce-0c1b2c3d4e5f60741", "not_fail")
    c.want("PL-SUB-005", None, "pass"); c.want("PL-EP-006", None, "not_fail"); c.want("PL-EP-002", None, "pass")
    emit(c)
    # A rejected relay endpoint in a workspace subnet: it occupies no addresses that count, carries nothing.
    c = ext(Case("e01_rejected_relay_in_workspace_subnet")); c.build()
    clone_ep(c, I["relay"], "vpce-0c1b2c3d4e5f60742", State="rejected", SubnetIds=[WSA])
    c.want("PL-EP-006", None, "not_fail"); c.want("PL-EP-004", "vpce-0c1b2c3d4e5f60742", "fail", "rejected")
    emit(c)
    # The only relay endpoint is `Available` (capitalised) and sits in the workspace subnets: PL-SUB-005 fails.
    c = ext(Case("e02_available_relay_in_workspace_subnets")); c.build()
    c.ep(I["relay"])["State"] = "Available"; c.ep(I["relay"])["SubnetIds"] = [WSA, WSB]
    c.want("PL-SUB-005", None, "fail", I["relay"]); c.want("PL-EP-002", None, "pass")
    c.want("PL-EP-003", I["relay"], "pass"); c.want("PL-EP-007", I["relay"], "pass")
    emit(c)
    # Live relay in one zone only, a deleted copy spanning two zones: the live one is single-zone.
    c = ext(Case("e03_live_one_az_deleted_two")); c.build()
    c.ep(I["relay"])["SubnetIds"] = [EPA]
    clone_ep(c, I["relay"], "vpce-0c1b2c3d4e5f60743", State="deleted", SubnetIds=[EPA, EPB])
    c.want("PL-EP-007", I["relay"], "fail")
    emit(c)
    # Relay endpoint in two subnets of the same zone: one zone.
    c = ext(Case("e03_two_subnets_same_az")); c.build()
    c.e.subnet("subnet-0c1b2c3d4e5f60744", VID, "10.30.28.128/26", 0, "privatelink-a2")
    c.ep(I["relay"])["SubnetIds"] = [EPA, "subnet-0c1b2c3d4e5f60744"]
    c.want("PL-EP-007", I["relay"], "fail")
    emit(c)
    # PL-EP-009 under isolation: the STS endpoint was deleted (a new one never created).
    c = ext(Case("e04_iso_sts_deleted", "iso")); c.build()
    c.ep(I["sts"])["State"] = "deleted"
    c.want("PL-EP-009", None, "fail", "sts")
    emit(c)
    # STS `Available` (capitalised) and Kinesis pendingAcceptance.
    c = ext(Case("e04_iso_sts_Available_kinesis_pending", "iso")); c.build()
    c.ep(I["sts"])["State"] = "Available"; c.ep(I["kinesis"])["State"] = "pending"
    c.want("PL-EP-009", I["kinesis"], "fail", "Kinesis", "pending")
    c.want("PL-EP-009", I["sts"], "pass")
    emit(c)
    # Kinesis Firehose instead of Kinesis Data Streams.
    c = ext(Case("e04_iso_firehose_not_streams", "iso")); c.build()
    c.ep(I["kinesis"])["ServiceName"] = "com.amazonaws.us-east-1.kinesis-firehose"
    c.want("PL-EP-009", None, "fail", "kinesis-streams")
    emit(c)
    # STS endpoint without private DNS under isolation.
    c = ext(Case("e04_iso_sts_no_private_dns", "iso")); c.build()
    c.ep(I["sts"])["PrivateDnsEnabled"] = False
    c.want("PL-EP-009", None, "fail", I["sts"])
    emit(c)
    # Two relays, the second `pending`: not a duplicate.
    c = ext(Case("e05_pending_second_relay")); c.build()
    clone_ep(c, I["relay"], "vpce-0c1b2c3d4e5f60745", State="pending")
    c.want("PL-EP-006", None, "not_fail"); c.want("PL-EP-004", "vpce-0c1b2c3d4e5f60745", "fail", "pending")
    emit(c)

    # ================================================================ regions
    # ap-northeast-3: a commercial region missing from the service table: endpoint verdicts are errors.
    c = ext(Case("g01_ap_northeast_3", region="ap-northeast-3")); c.build()
    move_region(c, "ap-northeast-3", ["ap-northeast-3a", "ap-northeast-3b", "ap-northeast-3c"],
                ["apne3-az3", "apne3-az1", "apne3-az2"], "com.amazonaws.vpce.ap-northeast-3.vpce-svc-0a0b0c0d0e0f01234",
                "com.amazonaws.vpce.ap-northeast-3.vpce-svc-0f0e0d0c0b0a04321")
    c.want("PL-EP-001", None, "error", "ap-northeast-3"); c.want("PL-EP-002", None, "error", "ap-northeast-3")
    c.want("PL-EP-005", None, "error"); c.want("PL-EP-005", None, "not_fail")
    c.exit = 3
    emit(c)
    # eu-north-1: the table knows only its Service Direct service; workspace and relay names are unknown.
    c = ext(Case("g01_eu_north_1", region="eu-north-1")); c.build()
    move_region(c, "eu-north-1", ["eu-north-1a", "eu-north-1b", "eu-north-1c"], ["eun1-az1", "eun1-az2", "eun1-az3"],
                "com.amazonaws.vpce.eu-north-1.vpce-svc-0a0b0c0d0e0f05678", "com.amazonaws.vpce.eu-north-1.vpce-svc-0f0e0d0c0b0a08765")
    c.want("PL-EP-001", None, "error", "eu-north-1"); c.want("PL-EP-002", None, "error", "eu-north-1")
    c.want("PL-EP-005", None, "not_fail"); c.want("PL-EP-001", None, "not_fail")
    c.exit = 3
    emit(c)
    # No region in snapshot.json, AZ names from two regions: the region cannot be inferred.
    c = ext(Case("g02_azs_two_regions", region=None)); c.build()
    c.subnet(WSB)["AvailabilityZone"] = "us-west-2b"; c.subnet(WSB)["AvailabilityZoneId"] = "usw2-az2"
    c.want("PL-SG-006", None, "error", "region"); c.want("PL-EP-002", None, "error")
    c.top.append(("/region_source", '"unknown"'))
    c.exit = 3
    emit(c)
    # No region in snapshot.json, --region given: the option is used.
    c = ext(Case("g02_region_option", region=None)); c.build()
    c.post.append(snapshot_meta(region=None))
    c.args = ["--region", "us-east-1"]
    c.top.append(("/region_source", '"option"')); c.top.append(("/region", '"us-east-1"'))
    c.want("PL-EP-002", None, "pass")
    emit(c)
    # snapshot.json says us-east-1; --region says us-gov-west-1: the snapshot's region is used (README order).
    c = ext(Case("g02_snapshot_vs_option")); c.build()
    c.args = ["--region", "us-gov-west-1"]
    c.top.append(("/region_source", '"snapshot"')); c.top.append(("/region", '"us-east-1"'))
    c.want("PL-EP-002", None, "pass"); c.want("PL-SG-006", WS_SG, "pass")
    emit(c)
    # snapshot.json says us-east-1 but every AZ is eu-west-1's: the snapshot cannot be trusted for the port table
    # and the service table alike; plaudit must not audit it as us-east-1 silently.
    # (here: every zone is GovCloud's, where 6666 is not used and 2443 is: the two port tables differ).
    c = ext(Case("g02_snapshot_region_vs_azs")); c.build()
    for s in c.e.subnets:
        s["AvailabilityZone"] = s["AvailabilityZone"].replace("us-east-1", "us-gov-west-1")
        s["AvailabilityZoneId"] = s["AvailabilityZoneId"].replace("use1", "usgw1")
    c.deploy_has.append("us-gov-west-1")
    c.want("PL-SG-006", None, "error", "us-gov-west-1")
    emit(c)

    # ================================================================ route tables
    # No main route table in the VPC (the collector's filter missed it): a subnet without an explicit
    # association has unknown routes.
    c = ext(Case("r01_no_main_table_unassociated")); c.build()
    c.rt(I["rt_ep"])["Associations"] = [a for a in c.rt(I["rt_ep"])["Associations"] if not a["Main"]]
    c.rt(I["rt_priv"])["Associations"] = [a for a in c.rt(I["rt_priv"])["Associations"] if a.get("SubnetId") != WSB]
    c.want("PL-SUB-004", WSB, "error", WSB); c.want("PL-SUB-004", WSA, "pass")
    c.want("PL-RT-001", None, "not_fail")
    emit(c)
    c = ext(Case("r01_iso_no_main_table_unassociated", "iso")); c.build()
    c.rt(I["rt_ep"])["Associations"] = [a for a in c.rt(I["rt_ep"])["Associations"] if not a["Main"]]
    c.rt(I["rt_priv"])["Associations"] = [a for a in c.rt(I["rt_priv"])["Associations"] if a.get("SubnetId") != WSB]
    c.want("PL-RT-003", None, "error", WSB)
    c.exit = 3
    emit(c)
    # The workspace subnet's explicit association is `disassociating`/`disassociated`: it falls back to main,
    # and the main table routes 0.0.0.0/0 to the IGW.
    c = ext(Case("r02_disassociated_falls_back_to_main")); c.build()
    for a in c.rt(I["rt_priv"])["Associations"]:
        if a.get("SubnetId") == WSB:
            a["AssociationState"] = {"State": "disassociated"}
    c.rt(I["rt_ep"])["Routes"].append(route("0.0.0.0/0", GatewayId=I["igw"]))
    c.want("PL-SUB-004", WSB, "fail", I["igw"]); c.want("PL-SUB-004", WSA, "pass")
    emit(c)
    # The NAT's subnet uses the main table implicitly, and the main table has no IGW route
    # (the IGW route is on a table no subnet uses): the NAT has no way out.
    c = ext(Case("r03_nat_subnet_main_without_igw")); c.build()
    c.rt(I["rt_pub"])["Associations"] = []
    c.want("PL-RT-002", I["nat"], "fail")
    emit(c)
    # A route table associated with both workspace subnets AND an edge association on the IGW.
    c = ext(Case("r04_workspace_table_also_edge")); c.build()
    c.rt(I["rt_priv"])["Associations"].append({"Main": False, "RouteTableAssociationId": "rtbassoc-0c1b2c3d4e5f60751",
                                               "RouteTableId": I["rt_priv"], "GatewayId": I["igw"],
                                               "AssociationState": {"State": "associated"}})
    c.want("PL-SUB-004", WSA, "pass"); c.want("PL-RT-001", I["rt_priv"], "pass")
    emit(c)

    # ================================================================ output contract
    # A /27 workspace subnet (PL-SUB-003, high) and nothing else wrong.
    def small_subnet(c):
        c.subnet(WSB)["CidrBlock"] = "10.30.4.0/27"
    c = ext(Case("o01_high_fail_default")); c.build(); small_subnet(c)
    c.want("PL-SUB-003", WSB, "fail", "/27"); c.exit = 1
    c.top.append(("/summary/complete", "true"))
    emit(c)
    c = ext(Case("o01_high_fail_on_critical")); c.build(); small_subnet(c)
    c.args = ["--fail-on", "critical"]; c.exit = 0
    c.want("PL-SUB-003", WSB, "fail")
    emit(c)
    # A high fail with --fail-on critical and an error elsewhere: incomplete (3).
    c = ext(Case("o01_high_fail_on_critical_plus_error")); c.build(); small_subnet(c)
    del c.ep(I["relay"])["State"]
    c.args = ["--fail-on", "critical"]; c.exit = 3
    c.top.append(("/summary/complete", "false"))
    emit(c)
    # --rules restricts to one rule: the critical failures of other rules do not count.
    c = ext(Case("o02_rules_filter_one", ws_egress=be_egress()[:2])); c.build(); small_subnet(c)
    c.args = ["--rules", "PL-SUB-003", "--fail-on", "critical"]; c.exit = 0
    c.want("PL-SUB-003", WSB, "fail"); c.want("PL-SG-006", None, "absent")
    emit(c)
    # --rules PL-EP is the PL-EP family only, not PL-EPSG.
    c = ext(Case("o02_rules_family_ep_not_epsg")); c.build()
    c.args = ["--rules", "PL-EP"]
    c.want("PL-EP-002", None, "pass"); c.want("PL-EPSG-001", None, "absent"); c.want("PL-EPSG-003", None, "absent")
    emit(c)
    # An unknown rule id is bad usage: exit 2.
    c = ext(Case("o02_rules_unknown")); c.build()
    c.args = ["--rules", "PL-XX-999"]; c.exit = 2
    emit(c)
    # Waiver expired (before collected_at 2026-11-30): the finding stays fail and says so; exit 1.
    eg = [("tcp", 0, 65535, WS_SG), ("udp", 0, 65535, WS_SG), ("tcp", 443, 443, "0.0.0.0/0"),
          ("tcp", 8443, 8451, "0.0.0.0/0"), ("tcp", 3306, 3306, "0.0.0.0/0")]
    def waiver(rule, res, exp):
        return f"""waivers:
  - rule: {rule}
    resource: {res}
    reason: relay migration
    owner: platform@example.com
    expires: "{exp}"
"""
    c = ext(Case("o03_waiver_expired", ws_egress=eg)); c.build()
    c.manifest = manifest("[back-end]", extra=waiver("PL-SG-006", WS_SG, "2026-11-29"))
    c.want("PL-SG-006", WS_SG, "fail", "expired"); c.exit = 1
    c.top.append(("/findings/rule=PL-SG-006/waiver/expired", "true"))
    emit(c)
    # Waiver expiring on the collection day itself (inclusive): waived; no other failure: exit 0.
    c = ext(Case("o03_waiver_expires_today", ws_egress=eg)); c.build()
    c.manifest = manifest("[back-end]", extra=waiver("PL-SG-006", WS_SG, "2026-11-30"))
    c.want("PL-SG-006", WS_SG, "waived"); c.exit = 0
    c.top.append(("/summary/by_status/waived", "1"))
    emit(c)
    # A waiver on a rule whose finding is an error: it never hides the error.
    c = ext(Case("o03_waiver_on_error")); c.build()
    del c.ep(I["relay"])["State"]
    c.manifest = manifest("[back-end]", extra=waiver("PL-EP-004", I["relay"], "2027-12-31"))
    c.want("PL-EP-004", I["relay"], "error"); c.exit = 3
    emit(c)
    # A waiver whose resource differs only in case: ids are exact, the waiver does not apply.
    c = ext(Case("o03_waiver_wrong_resource", ws_egress=eg)); c.build()
    c.manifest = manifest("[back-end]", extra=waiver("PL-SG-006", WS_SG.upper().replace("SG-", "sg-"), "2027-12-31"))
    c.want("PL-SG-006", WS_SG, "fail"); c.exit = 1
    emit(c)

    # ================================================================ round-3 additions
    # Isolated workspace with custom DNS (a Route 53 Resolver outbound endpoint inside the VPC): 53 to the VPC.
    c = ext(Case("p03_iso_custom_dns_in_vpc", "iso", ws_egress=[("tcp", 0, 65535, WS_SG), ("udp", 0, 65535, WS_SG)]
                 + [("tcp", lo, hi, "10.30.0.0/16") for lo, hi in PORTS] + [("tcp", 443, 443, g.S3_PL),
                 ("udp", 53, 53, "10.30.0.0/16"), ("tcp", 53, 53, "10.30.0.0/16")]))
    c.build()
    c.manifest = manifest("[isolated]", csp=True, dns=True)
    c.want("PL-SG-008", WS_SG, "not_fail")
    emit(c)
    # --fail-on info: the info failure of PL-SG-008 now fails the run.
    c = ext(Case("o01_fail_on_info", ws_egress=eg_no3306)); c.build()
    c.manifest = manifest("[back-end]", hive=True)
    c.args = ["--fail-on", "info"]; c.exit = 1
    c.want("PL-SG-008", WS_SG, "fail", "3306")
    c.top.append(("/summary/failures_by_severity/info", "1"))
    emit(c)
    # A serverless endpoint service that is Deleted: it serves nothing.
    c = sl_case("s01_sl_service_deleted", [DBX_ROLE], state="Deleted")
    c.want("PL-SL-001", SVC, "fail", "Deleted")
    emit(c)
    # Tagged transit VPC (no client ranges known) whose front-end endpoint SG admits nothing on 443:
    # no client at all can reach it, whatever the ranges are.
    c = ext(Case("m04_transit_tags_sg_admits_nobody", "fe")); c.transit_ingress = []; c.build()
    tag_workspace(c, modes="back-end,front-end")
    c.no_manifest = True
    c.want("PL-EPSG-002", TSG, "fail", "443")
    emit(c)
    # Tags without plaudit:modes vs a manifest without modes: both default to back-end (the VPC holds the relay).
    nm_dirs = [("m07_no_modes_manifest", True), ("m07_no_modes_tags", False)]
    for name, with_manifest in nm_dirs:
        c = ext(Case(name)); c.build()
        if with_manifest:
            c.manifest = manifest("[back-end]").replace("    modes: [back-end]\n", "")
        else:
            tag_workspace(c)
        c.no_manifest = not with_manifest
        c.want("PL-EP-002", None, "pass"); c.want("PL-SG-006", WS_SG, "pass")
        c.equiv = [d for d in nm_dirs if d[0] != name]
        emit(c)
    # The modes tag written with a space after the comma, as people type it, vs the manifest's list.
    sp_dirs = [("m08_modes_spaced_manifest", True), ("m08_modes_spaced_tags", False)]
    for name, with_manifest in sp_dirs:
        c = ext(Case(name, "iso")); c.build()
        if with_manifest:
            c.manifest = manifest("[back-end, isolated]")
        else:
            tag_workspace(c, modes="back-end, isolated")
        c.no_manifest = not with_manifest
        c.want("PL-RT-003", None, "pass"); c.want("PL-SG-010", WS_SG, "pass")
        c.exit = 3
        c.equiv = [d for d in sp_dirs if d[0] != name]
        emit(c)
    # The route-table association of workspace subnet b is `failed`: the subnet uses the main table.
    c = ext(Case("r02_failed_association_main_igw")); c.build()
    for a in c.rt(I["rt_priv"])["Associations"]:
        if a.get("SubnetId") == WSB:
            a["AssociationState"] = {"State": "failed", "StatusMessage": "Resource.AlreadyAssociated"}
    c.rt(I["rt_ep"])["Routes"].append(route("0.0.0.0/0", GatewayId=I["igw"]))
    c.want("PL-SUB-004", WSB, "fail", I["igw"])
    emit(c)
    # Shared endpoint SG: one finding listing both workspaces.

    # The transit VPC's front-end endpoint points at us-west-2's workspace service: no usable front-end endpoint.
    c = ext(Case("f05_transit_endpoint_other_region", "fe")); c.build()
    c.ep(FE_EP)["ServiceName"] = "com.amazonaws.vpce.us-west-2.vpce-svc-0129f463fcfbc46c5"
    c.want("PL-EP-008", None, "fail"); c.want("PL-EP-005", FE_EP, "fail", "us-west-2")
    emit(c)
    # A transit VPC declared in the manifest that the snapshot does not hold: unknown, not "no endpoint".
    c = ext(Case("f06_transit_vpc_missing", "fe")); c.build()
    c.manifest = c.default_manifest().replace(TV, "vpc-0c1b2c3d4e5f60799")
    c.want("PL-EP-008", None, "error", "vpc-0c1b2c3d4e5f60799"); c.want("PL-EP-008", None, "not_fail")
    c.exit = 3
    emit(c)
    # Back-end (not isolated): the STS endpoint was deleted: PL-EP-009 fails at medium (a recommendation).
    c = ext(Case("e06_be_sts_deleted")); c.build()
    c.ep(I["sts"])["State"] = "deleted"
    c.want("PL-EP-009", None, "fail", "STS")
    c.top.append(("/summary/failures_by_severity", '{"medium": 1}'))
    emit(c)
    # Bad manifests: an unknown key, an impossible waiver date: exit 2, nothing on stdout.
    c = ext(Case("o04_manifest_unknown_key")); c.build()
    c.manifest = manifest("[back-end]").replace("    modes:", "    subnet_id: x\n    modes:")
    c.exit = 2; c.stderr_has.append("subnet_id")
    emit(c)
    c = ext(Case("o04_waiver_bad_date")); c.build()
    c.manifest = manifest("[back-end]", extra="""waivers:
  - rule: PL-SG-006
    resource: sg-0a1b2c3d4e5f60719
    reason: x
    owner: y
    expires: "2027-02-30"
""")
    c.exit = 2; c.stderr_has.append("2027-02-30")
    emit(c)
    # Service Direct does not exist in GovCloud: a GovCloud endpoint with a commercial Service Direct name is wrong.
    c = ext(Case("g03_gov_service_direct_name", "fe", region="us-gov-west-1")); c.build()
    move_region(c, "us-gov-west-1", ["us-gov-west-1a", "us-gov-west-1b", "us-gov-west-1c"], ["usgw1-az1", "usgw1-az2", "usgw1-az3"],
                GOV_WS, GOV_RELAY)
    c.ep(FE_EP)["ServiceName"] = "com.amazonaws.vpce.us-gov-west-1.vpce-svc-0a1a39ada4ec3bcdc"
    # (a name in no table is not known to be Databricks', so PL-EP-005 need not judge it; PL-EP-008 must fail)
    c.want("PL-EP-008", None, "fail", TV)
    emit(c)

# ----------------------------------------------------------------------------------------------------
# Known-wrong verdicts (filled in after comparing; each is #[ignore]d with its reason).
IGNORED = {}  # every wrong verdict found by this round is fixed (see git log)


def probe():
    b = os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "debug", "plaudit")
    for c in rg.CASES:
        d = os.path.join(HERE, c.name)
        args = [b, "audit", "--snapshot", d, "--format", "json", "--show-passed"] + c.args
        if not c.no_manifest:
            args += ["--manifest", os.path.join(d, "manifest.yaml")]
        p = subprocess.run(args, capture_output=True, text=True)
        print(f"=== {c.name} exit={p.returncode} want={c.exit}")
        if p.returncode == 2 or not p.stdout.strip().startswith("{"):
            print("   stderr:", p.stderr.strip()[:400]); continue
        rep = json.loads(p.stdout)
        for ptr, val in c.top:
            print(f" top {ptr} want {val}")
        if "--all" in sys.argv:
            for f in rep["findings"]:
                if f["status"] != "pass":
                    print(f"   [{f['status']}] {f['rule_id']} {f['resource_id']}: {f['message'][:200]}")
        for rule, res, st, fr in c.expect:
            sel = [f for f in rep["findings"] if f["rule_id"] == rule and (res is None or f["resource_id"] == res)]
            print(f" want {rule} {res} {st} {fr}")
            for f in sel:
                print(f"   got {f['status']} {f['resource_id']}: {f['message'][:300]}")



def write_rust():
    sl = lambda xs: ", ".join(rg.rs_str(x) for x in xs)
    extra = lambda c: (
        f"        args: &[{sl(c.args)}],\n"
        f"        equiv: &[{', '.join(f'({rg.rs_str(d)}, {str(m).lower()})' for d, m in c.equiv)}],\n"
        f"        equiv_skip: &[{sl(c.equiv_skip)}],\n"
        f"        top: &[{', '.join(f'({rg.rs_str(p)}, {rg.rs_str(v)})' for p, v in c.top)}],\n")
    head = rg.rust_head(
        "redteam3",
        "//! Third red-team estates for issue 9 (manifest/tags/discovery, serverless, front-end, states x rules,\n"
        "//! regions, route associations, output contract), one test per estate.",
        "cli/tests/redteam3/gen.py", uses_base=False)
    rg.write_rust(ignored=IGNORED, name="redteam3", head=head, extra=extra)

if __name__ == "__main__":
    os.makedirs(HERE, exist_ok=True)
    for d in os.listdir(HERE):
        if os.path.isdir(os.path.join(HERE, d)) and d != "__pycache__":
            shutil.rmtree(os.path.join(HERE, d))
    cases()
    if "--probe" in sys.argv:
        probe()
    else:
        write_rust()
    print(f"{len(rg.CASES)} cases")
