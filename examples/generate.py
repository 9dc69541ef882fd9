#!/usr/bin/env python3
"""Writes the bundled example estates as snapshot folders (the JSON the AWS CLI prints).

Run from the repository root: `python3 examples/generate.py`. The output is committed; nothing at
build or test time runs this script. Edit an estate here, regenerate, then review the golden-output
changes with `cargo insta review`.
"""
import json
import os

ACCOUNT = "123456789012"
REGION = "us-east-1"
WORKSPACE_SVC = "com.amazonaws.vpce.us-east-1.vpce-svc-09143d1e626de2f04"
RELAY_SVC = "com.amazonaws.vpce.us-east-1.vpce-svc-00018a8c3ff62ffdf"
S3_PL = "pl-63a5400a"
AZS = [("us-east-1a", "use1-az1"), ("us-east-1b", "use1-az2"), ("us-east-1c", "use1-az4")]


def tags(**kv):
    return [{"Key": k.replace("_", ":", 1) if k.startswith("plaudit_") else k, "Value": v} for k, v in kv.items()]


class Estate:
    def __init__(self):
        self.vpcs, self.attrs, self.subnets, self.rts, self.igws, self.nats = [], [], [], [], [], []
        self.eps, self.sgs, self.rules, self.acls = [], [], [], []
        self.rule_n = 0
        self.services, self.permissions = None, None

    def vpc(self, vid, cidr, name, **extra):
        self.vpcs.append({
            "CidrBlock": cidr, "DhcpOptionsId": "dopt-0a1b2c3d4e5f60718", "State": "available",
            "VpcId": vid, "OwnerId": ACCOUNT, "InstanceTenancy": "default",
            "CidrBlockAssociationSet": [{"AssociationId": "vpc-cidr-assoc-" + vid[4:], "CidrBlock": cidr,
                                         "CidrBlockState": {"State": "associated"}}],
            "IsDefault": False, "Tags": tags(Name=name, **extra),
        })
        self.attrs.append({"VpcId": vid, "EnableDnsHostnames": {"Value": True}, "EnableDnsSupport": {"Value": True}})

    def subnet(self, sid, vid, cidr, az, name, public=False, **extra):
        free = 2 ** (32 - int(cidr.split("/")[1])) - 5
        self.subnets.append({
            "AvailabilityZone": AZS[az][0], "AvailabilityZoneId": AZS[az][1], "AvailableIpAddressCount": free,
            "CidrBlock": cidr, "DefaultForAz": False, "MapPublicIpOnLaunch": public, "State": "available",
            "SubnetId": sid, "VpcId": vid, "OwnerId": ACCOUNT, "AssignIpv6AddressOnCreation": False,
            "Ipv6CidrBlockAssociationSet": [], "Tags": tags(Name=name, **extra),
            "SubnetArn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:subnet/{sid}",
        })

    def rt(self, rid, vid, subnets, routes, main=False, name=""):
        assoc = [{"Main": False, "RouteTableAssociationId": f"rtbassoc-{rid[4:]}{i}", "RouteTableId": rid,
                  "SubnetId": s, "AssociationState": {"State": "associated"}} for i, s in enumerate(subnets)]
        if main:
            assoc.append({"Main": True, "RouteTableAssociationId": f"rtbassoc-{rid[4:]}m", "RouteTableId": rid,
                          "AssociationState": {"State": "associated"}})
        rs = []
        for dest, target in routes:
            r = {"Origin": "CreateRoute", "State": "active"}
            if dest.startswith("pl-"):
                r["DestinationPrefixListId"] = dest
            else:
                r["DestinationCidrBlock"] = dest
            if target == "local":
                r.update(GatewayId="local", Origin="CreateRouteTable")
            elif target.startswith("nat-"):
                r["NatGatewayId"] = target
            elif target.startswith("tgw-"):
                r["TransitGatewayId"] = target
            else:
                r["GatewayId"] = target
            rs.append(r)
        self.rts.append({"Associations": assoc, "PropagatingVgws": [], "RouteTableId": rid, "Routes": rs,
                         "Tags": tags(Name=name), "VpcId": vid, "OwnerId": ACCOUNT})

    def igw(self, gid, vid):
        self.igws.append({"Attachments": [{"State": "available", "VpcId": vid}], "InternetGatewayId": gid,
                          "OwnerId": ACCOUNT, "Tags": tags(Name="igw")})

    def nat(self, nid, vid, sid):
        self.nats.append({"CreateTime": "2026-03-02T10:15:00+00:00", "NatGatewayAddresses": [
            {"AllocationId": "eipalloc-0f1e2d3c4b5a69788", "NetworkInterfaceId": "eni-0a9b8c7d6e5f40312",
             "PrivateIp": "10.10.30.10", "PublicIp": "203.0.113.10", "IsPrimary": True, "Status": "succeeded"}],
            "NatGatewayId": nid, "State": "available", "SubnetId": sid, "VpcId": vid,
            "ConnectivityType": "public", "Tags": tags(Name="nat")})

    def sg(self, gid, vid, name, ingress, egress):
        """ingress/egress: lists of (proto, from, to, peer)."""
        def perm(proto, lo, hi, peer):
            p = {"IpProtocol": proto, "IpRanges": [], "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": []}
            if proto != "-1":
                p.update(FromPort=lo, ToPort=hi)
            if peer.startswith("sg-"):
                p["UserIdGroupPairs"].append({"GroupId": peer, "UserId": ACCOUNT})
            elif peer.startswith("pl-"):
                p["PrefixListIds"].append({"PrefixListId": peer})
            elif ":" in peer:
                p["Ipv6Ranges"].append({"CidrIpv6": peer})
            else:
                p["IpRanges"].append({"CidrIp": peer})
            return p
        self.sgs.append({"Description": name, "GroupName": name, "IpPermissions": [perm(*r) for r in ingress],
                         "OwnerId": ACCOUNT, "GroupId": gid, "IpPermissionsEgress": [perm(*r) for r in egress],
                         "Tags": tags(Name=name), "VpcId": vid})
        for egr, rules in ((False, ingress), (True, egress)):
            for proto, lo, hi, peer in rules:
                self.rule_n += 1
                r = {"SecurityGroupRuleId": f"sgr-0{self.rule_n:016x}", "GroupId": gid, "GroupOwnerId": ACCOUNT,
                     "IsEgress": egr, "IpProtocol": proto,
                     "FromPort": -1 if proto == "-1" else lo, "ToPort": -1 if proto == "-1" else hi, "Tags": []}
                if peer.startswith("sg-"):
                    r["ReferencedGroupInfo"] = {"GroupId": peer, "UserId": ACCOUNT}
                elif peer.startswith("pl-"):
                    r["PrefixListId"] = peer
                elif ":" in peer:
                    r["CidrIpv6"] = peer
                else:
                    r["CidrIpv4"] = peer
                self.rules.append(r)

    def acl(self, aid, vid, subnets, entries, default=False):
        es = []
        for n, egress, proto, ports, cidr, action in entries:
            e = {"CidrBlock": cidr, "Egress": egress, "Protocol": proto, "RuleAction": action, "RuleNumber": n}
            if ports:
                e["PortRange"] = {"From": ports[0], "To": ports[1]}
            es.append(e)
        for egress in (False, True):
            es.append({"CidrBlock": "0.0.0.0/0", "Egress": egress, "Protocol": "-1", "RuleAction": "deny",
                       "RuleNumber": 32767})
        self.acls.append({"Associations": [{"NetworkAclAssociationId": f"aclassoc-{aid[4:]}{i}", "NetworkAclId": aid,
                                            "SubnetId": s} for i, s in enumerate(subnets)],
                          "Entries": es, "IsDefault": default, "NetworkAclId": aid, "Tags": [], "VpcId": vid,
                          "OwnerId": ACCOUNT})

    def ep(self, eid, vid, service, kind="Interface", subnets=(), groups=(), rts=(), dns=None, state="available",
           policy=None):
        e = {"VpcEndpointId": eid, "VpcEndpointType": kind, "VpcId": vid, "ServiceName": service, "State": state,
             "RouteTableIds": list(rts), "SubnetIds": list(subnets),
             "Groups": [{"GroupId": g, "GroupName": g} for g in groups],
             "IpAddressType": "ipv4", "DnsOptions": {"DnsRecordIpType": "ipv4"},
             "PrivateDnsEnabled": (kind == "Interface") if dns is None else dns,
             "RequesterManaged": False, "NetworkInterfaceIds": [f"eni-0{eid[5:]}{i}" for i in range(len(subnets))],
             "DnsEntries": [], "CreationTimestamp": "2026-03-02T10:20:00+00:00", "Tags": [], "OwnerId": ACCOUNT}
        if policy is not None:
            e["PolicyDocument"] = policy
        self.eps.append(e)

    def write(self, d, manifest, manifest_name="manifest.yaml"):
        os.makedirs(d, exist_ok=True)
        def dump(name, obj):
            with open(os.path.join(d, name), "w") as f:
                json.dump(obj, f, indent=4)
                f.write("\n")
        dump("snapshot.json", {"format_version": 1, "account_id": ACCOUNT, "region": REGION,
                               "collected_at": "2026-11-30T06:00:00Z"})
        dump("describe-vpcs.json", {"Vpcs": self.vpcs})
        dump("vpc-attributes.json", self.attrs)
        dump("describe-subnets.json", {"Subnets": self.subnets})
        dump("describe-route-tables.json", {"RouteTables": self.rts})
        dump("describe-internet-gateways.json", {"InternetGateways": self.igws})
        dump("describe-nat-gateways.json", {"NatGateways": self.nats})
        dump("describe-vpc-endpoints.json", {"VpcEndpoints": self.eps})
        dump("describe-security-groups.json", {"SecurityGroups": self.sgs})
        dump("describe-security-group-rules.json", {"SecurityGroupRules": self.rules})
        dump("describe-network-acls.json", {"NetworkAcls": self.acls})
        dump("describe-managed-prefix-lists.json", {"PrefixLists": [
            {"PrefixListId": S3_PL, "AddressFamily": "IPv4", "State": "create-complete",
             "PrefixListArn": f"arn:aws:ec2:{REGION}:aws:prefix-list/{S3_PL}",
             "PrefixListName": f"com.amazonaws.{REGION}.s3", "Tags": [], "OwnerId": "AWS"}]})
        if self.services is not None:
            dump("describe-vpc-endpoint-service-configurations.json", {"ServiceConfigurations": self.services})
            dump("describe-vpc-endpoint-service-permissions.json", self.permissions)
        with open(os.path.join(d, manifest_name), "w") as f:
            f.write(manifest)


RESTRICTED = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
    "Resource": ["arn:aws:s3:::acme-dbx-root", "arn:aws:s3:::acme-dbx-root/*"],
    "Condition": {"StringEquals": {"aws:PrincipalAccount": [ACCOUNT, "414351767826"]}}}]})
FULL = json.dumps({"Version": "2008-10-17", "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]})
PORTS = [(443, 443), (2443, 2443), (6666, 6666), (8443, 8451)]


def workspace_vpc(e, n, vid, cidr16, isolated, ws_sg, ep_sg, ids, *, ws_egress=None, ep_ingress=None,
                  ws_acl_entries=None, ep_acl_entries=None, sub_mask=22):
    """A workspace VPC in the SRA layout: 2 workspace subnets, 2 endpoint subnets, (public subnet + NAT)."""
    b = cidr16.rsplit(".", 2)[0]
    e.vpc(vid, f"{b}.0.0/16", f"databricks-{n}", **{"plaudit_role": "workspace"})
    ws_sub, ep_sub = ids["ws"], ids["ep"]
    e.subnet(ws_sub[0], vid, f"{b}.0.0/{sub_mask}", 0, f"{n}-workspace-a")
    e.subnet(ws_sub[1], vid, f"{b}.4.0/{sub_mask if sub_mask >= 22 else 22}", 1, f"{n}-workspace-b")
    e.subnet(ep_sub[0], vid, f"{b}.28.0/26", 0, f"{n}-privatelink-a")
    e.subnet(ep_sub[1], vid, f"{b}.28.64/26", 1, f"{n}-privatelink-b")
    priv = [(f"{b}.0.0/16", "local"), (S3_PL, ids["s3"])]
    if not isolated:
        e.subnet(ids["pub"], vid, f"{b}.30.0/24", 0, f"{n}-public-nat", public=True)
        e.igw(ids["igw"], vid)
        e.nat(ids["nat"], vid, ids["pub"])
        priv.append(("0.0.0.0/0", ids["nat"]))
        e.rt(ids["rt_pub"], vid, [ids["pub"]], [(f"{b}.0.0/16", "local"), ("0.0.0.0/0", ids["igw"])], name="public")
    e.rt(ids["rt_priv"], vid, ws_sub, priv, name="workspace")
    e.rt(ids["rt_ep"], vid, ep_sub, [(f"{b}.0.0/16", "local")], main=True, name="privatelink")
    dest = f"{b}.0.0/16" if isolated else "0.0.0.0/0"
    egress = ws_egress if ws_egress is not None else (
        [("tcp", 0, 65535, ws_sg), ("udp", 0, 65535, ws_sg)] + [("tcp", lo, hi, dest) for lo, hi in PORTS] +
        ([("tcp", 443, 443, S3_PL)] if isolated else [("tcp", 3306, 3306, dest)]))
    e.sg(ws_sg, vid, f"{n}-workspace", [("tcp", 0, 65535, ws_sg), ("udp", 0, 65535, ws_sg)], egress)
    e.sg(ep_sg, vid, f"{n}-privatelink",
         ep_ingress if ep_ingress is not None else [("tcp", lo, hi, ws_sg) for lo, hi in PORTS], [])
    allow_all = [(100, False, "-1", None, "0.0.0.0/0", "allow"), (100, True, "-1", None, "0.0.0.0/0", "allow")]
    if ep_acl_entries is None:
        e.acl(ids["acl"], vid, ws_sub + ep_sub + ([] if isolated else [ids["pub"]]),
              ws_acl_entries if ws_acl_entries is not None else allow_all, default=True)
    else:
        e.acl(ids["acl"], vid, ws_sub + ([] if isolated else [ids["pub"]]), ws_acl_entries or allow_all, default=True)
        e.acl(ids["acl_ep"], vid, ep_sub, ep_acl_entries)
    e.ep(ids["rest"], vid, WORKSPACE_SVC, subnets=ep_sub, groups=[ep_sg])
    e.ep(ids["relay"], vid, RELAY_SVC, subnets=ep_sub, groups=[ep_sg])
    e.ep(ids["s3"], vid, f"com.amazonaws.{REGION}.s3", kind="Gateway", rts=[ids["rt_priv"]], policy=RESTRICTED)
    e.ep(ids["sts"], vid, f"com.amazonaws.{REGION}.sts", subnets=ep_sub, groups=[ep_sg], policy=RESTRICTED)
    e.ep(ids["kinesis"], vid, f"com.amazonaws.{REGION}.kinesis-streams", subnets=ep_sub, groups=[ep_sg],
         policy=RESTRICTED)


def ids(p):
    """Realistic-looking ids for estate prefix p (one hex digit)."""
    h = lambda kind, k: f"{kind}-0{p}{k}{'7c3e9a41b2d5f6'[:14]}"[:len(kind) + 18]
    return {"ws": [h("subnet", "a1"), h("subnet", "b2")], "ep": [h("subnet", "c3"), h("subnet", "d4")],
            "pub": h("subnet", "e5"), "igw": h("igw", "f6"), "nat": h("nat", "a7"), "rt_priv": h("rtb", "b8"),
            "rt_ep": h("rtb", "c9"), "rt_pub": h("rtb", "da"), "acl": h("acl", "eb"), "acl_ep": h("acl", "fc"),
            "rest": h("vpce", "a0"), "relay": h("vpce", "b1"), "s3": h("vpce", "c2"), "sts": h("vpce", "d3"),
            "kinesis": h("vpce", "e4")}


def isolated_compliant():
    e = Estate()
    i = ids("1")
    vid, ws_sg, ep_sg = "vpc-01a2b3c4d5e6f7081", "sg-01a2b3c4d5e6f7082", "sg-01a2b3c4d5e6f7083"
    workspace_vpc(e, "analytics", vid, "10.20.0.0", True, ws_sg, ep_sg, i)
    # Serverless: an internal NLB in front of the reporting database, exposed to Databricks serverless.
    svc = "vpce-svc-01a2b3c4d5e6f7090"
    e.services = [{
        "ServiceType": [{"ServiceType": "Interface"}], "ServiceId": svc,
        "ServiceName": f"com.amazonaws.vpce.{REGION}.{svc}", "ServiceState": "Available",
        "AvailabilityZones": [AZS[0][0], AZS[1][0]], "AcceptanceRequired": True, "ManagesVpcEndpoints": False,
        "NetworkLoadBalancerArns": [f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/net/reporting-db/0a1b2c3d4e5f6071"],
        "SupportedIpAddressTypes": ["ipv4"], "BaseEndpointDnsNames": [f"{svc}.{REGION}.vpce.amazonaws.com"],
        "PrivateDnsNameConfiguration": {}, "Tags": tags(Name="reporting-db")}]
    e.permissions = {svc: {"AllowedPrincipals": [{
        "PrincipalType": "Role", "Principal": f"arn:aws:iam::565502421330:role/private-connectivity-role-{REGION}",
        "ServicePermissionId": "sp-0a1b2c3d4e5f60718", "ServiceId": svc}]}}
    e.write("examples/isolated-compliant", f"""# Complete private isolation: front-end, back-end and serverless PrivateLink, no internet path.
# The workspace VPC also serves front-end traffic (no separate transit VPC), reusing its workspace endpoint.
version: 1
workspaces:
  - name: analytics
    vpc_id: {vid}
    subnet_ids: [{i['ws'][0]}, {i['ws'][1]}]
    security_group_ids: [{ws_sg}]
    modes: [isolated]
    compliance_security_profile: true
""")


def backend_drifted():
    e = Estate()
    i = ids("2")
    vid, ws_sg, ep_sg = "vpc-02b3c4d5e6f708192", "sg-02b3c4d5e6f708193", "sg-02b3c4d5e6f708194"
    b = "10.30"
    # Drift 1: someone "tightened" egress and dropped 6666 (SCC relay over PrivateLink).
    egress = [("tcp", 0, 65535, ws_sg), ("udp", 0, 65535, ws_sg), ("tcp", 443, 443, "0.0.0.0/0"),
              ("tcp", 8443, 8451, "0.0.0.0/0"), ("tcp", 3306, 3306, "0.0.0.0/0")]
    # Drift 2: the endpoint SG admits only half of the second workspace subnet on 443.
    ep_ingress = [("tcp", 443, 443, f"{b}.0.0/22"), ("tcp", 443, 443, f"{b}.4.0/23"), ("tcp", 6666, 6666, ws_sg),
                  ("tcp", 8443, 8451, ws_sg)]
    # Drift 3 (only reachability sees it): the endpoint subnets' NACL looks fine rule by rule, but a
    # low-numbered DENY of ephemeral ports drops every reply to the workspace.
    ep_acl = [(100, False, "-1", None, "0.0.0.0/0", "allow"),
              (90, True, "6", (1024, 65535), "0.0.0.0/0", "deny"),
              (100, True, "-1", None, "0.0.0.0/0", "allow")]
    workspace_vpc(e, "etl", vid, f"{b}.0.0", False, ws_sg, ep_sg, i, ws_egress=egress, ep_ingress=ep_ingress,
                  ep_acl_entries=ep_acl)
    # Drift 4: a second relay endpoint created by hand, never registered (pendingAcceptance, no private DNS).
    e.ep("vpce-02b3c4d5e6f70dup", vid, RELAY_SVC, subnets=i["ep"], groups=[ep_sg], dns=False,
         state="pendingAcceptance")
    # Drift 5: the STS endpoint's policy was reset to the default full access.
    for ep in e.eps:
        if ep["VpcEndpointId"] == i["sts"]:
            ep["PolicyDocument"] = FULL
    # Drift 6: DNS hostnames turned off on the VPC.
    e.attrs[0]["EnableDnsHostnames"]["Value"] = False
    e.write("examples/backend-drifted", f"""# A back-end (classic) PrivateLink workspace with NAT egress that has drifted from its baseline.
version: 1
workspaces:
  - name: etl
    vpc_id: {vid}
    subnet_ids: [{i['ws'][0]}, {i['ws'][1]}]
    security_group_ids: [{ws_sg}]
    modes: [back-end]
    legacy_hive_metastore: true
waivers:
  - rule: PL-EP-010
    resource: {i['sts']}
    reason: STS access is constrained by the organisation's SCP until the endpoint policy rollout
    owner: data-platform@example.com
    expires: "2027-03-31"
""")


def frontend_transit():
    e = Estate()
    i = ids("3")
    vid, ws_sg, ep_sg = "vpc-03c4d5e6f70819203", "sg-03c4d5e6f70819204", "sg-03c4d5e6f70819205"
    workspace_vpc(e, "bi", vid, "10.40.0.0", False, ws_sg, ep_sg, i)
    # The transit VPC: reached from on-premises over Direct Connect; holds the front-end endpoint.
    tv, tsg = "vpc-03c4d5e6f7081920a", "sg-03c4d5e6f7081920b"
    e.vpc(tv, "10.50.0.0/16", "transit", plaudit_role="transit")
    e.subnet("subnet-03c4d5e6f7081920c", tv, "10.50.1.0/24", 0, "transit-endpoints-a")
    e.subnet("subnet-03c4d5e6f7081920d", tv, "10.50.2.0/24", 1, "transit-endpoints-b")
    e.rt("rtb-03c4d5e6f7081920e", tv, ["subnet-03c4d5e6f7081920c", "subnet-03c4d5e6f7081920d"],
         [("10.50.0.0/16", "local"), ("192.168.0.0/16", "tgw-03c4d5e6f7081920f")], main=True, name="transit")
    e.sg(tsg, tv, "transit-frontend", [("tcp", 443, 443, "192.168.0.0/16"), ("tcp", 443, 443, "172.16.0.0/12")], [])
    e.acl("acl-03c4d5e6f70819210", tv, ["subnet-03c4d5e6f7081920c", "subnet-03c4d5e6f7081920d"],
          [(100, False, "-1", None, "0.0.0.0/0", "allow"), (100, True, "-1", None, "0.0.0.0/0", "allow")], default=True)
    e.ep("vpce-03c4d5e6f70819211", tv, WORKSPACE_SVC, subnets=["subnet-03c4d5e6f7081920c", "subnet-03c4d5e6f7081920d"],
         groups=[tsg])
    e.attrs[-1]["EnableDnsSupport"]["Value"] = True
    e.write("examples/frontend-transit", f"""# Front-end PrivateLink through a transit VPC, plus back-end PrivateLink in the workspace VPC.
# Users connect from two on-premises ranges; the second is not admitted by the endpoint's security group.
version: 1
workspaces:
  - name: bi
    vpc_id: {vid}
    subnet_ids: [{i['ws'][0]}, {i['ws'][1]}]
    security_group_ids: [{ws_sg}]
    modes: [back-end, front-end]
transit_vpcs:
  - vpc_id: {tv}
    client_cidrs: [192.168.0.0/16, 10.200.0.0/16]
""")


if __name__ == "__main__":
    isolated_compliant()
    backend_drifted()
    frontend_transit()
