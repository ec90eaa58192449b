import boto3

from modrun import run_module
from ansible_collections.devsecops.eks_platform.plugins.modules import security_audit

VPN = "172.31.128.0/22"


def _stack(ec2):
    ids = {}
    logs = boto3.client("logs", region_name="us-east-1")
    for tier, cidr in (("security", "10.10.0.0/16"), ("lb", "10.20.0.0/16"), ("app", "10.30.0.0/16")):
        vpc = ec2.create_vpc(CidrBlock=cidr, TagSpecifications=[{"ResourceType": "vpc", "Tags": [
            {"Key": "devsecops:stack", "Value": "s"}, {"Key": "devsecops:vpc", "Value": tier}]}])["Vpc"]["VpcId"]
        ids[tier] = vpc
        # a flow log into a missing log group reports DeliverLogsStatus FAILED (on AWS and in moto)
        logs.create_log_group(logGroupName="/fl/" + tier)
        ec2.create_flow_logs(ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL", LogGroupName="/fl/" + tier,
                             DeliverLogsPermissionArn="arn:aws:iam::123456789012:role/x")
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=ids["lb"])

    def group(name, vpc, role):
        return ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc, TagSpecifications=[
            {"ResourceType": "security-group", "Tags": [{"Key": "devsecops:role", "Value": role}]}])["GroupId"]

    # The one SSH path: Client VPN endpoint group -> bastion group -> jump host group.
    cvpn_sg = group("client-vpn", ids["security"], "client-vpn")
    bastion_sg = group("bastion", ids["security"], "bastion")
    ec2.authorize_security_group_ingress(GroupId=bastion_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "UserIdGroupPairs": [{"GroupId": cvpn_sg}]}])
    jump_sg = group("jump", ids["app"], "jump-host")
    ec2.authorize_security_group_ingress(GroupId=jump_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "UserIdGroupPairs": [{"GroupId": bastion_sg}]}])
    nodes_sg = group("nodes", ids["app"], "eks-nodes")
    ec2.authorize_security_group_ingress(GroupId=nodes_sg, IpPermissions=[
        {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": nodes_sg}]}])
    ids.update(cvpn_sg=cvpn_sg, bastion_sg=bastion_sg)
    ami = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    for az in ("us-east-1a", "us-east-1b"):
        subnet = ec2.create_subnet(VpcId=ids["security"], CidrBlock="10.10.%d.0/24" % (1 if az.endswith("a") else 2),
                                   AvailabilityZone=az)["Subnet"]["SubnetId"]
        ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, SubnetId=subnet,
                          MetadataOptions={"HttpTokens": "required"},
                          TagSpecifications=[{"ResourceType": "instance", "Tags": [
                              {"Key": "devsecops:role", "Value": "bastion"}]}])
    return ids, igw, jump_sg


def _audit(**kw):
    # moto has no Client VPN API: its endpoints are audited by the check_client_vpn tests below
    return run_module(security_audit.main, dict(dict(region="us-east-1", stack="s", vpn_cidr=VPN, az_count=2,
                                                     client_vpn=False), **kw))


def test_clean_stack_passes(aws_offline):
    _stack(boto3.client("ec2", region_name="us-east-1"))
    result = _audit()
    assert result.get("failed") is not True, result.get("msg")
    assert result["passed"] is True and result["findings"] == []
    assert set(result["checks"]) == {"ssh_sources", "app_egress", "security_egress", "igw_placement", "flow_logs",
                                     "bastion_per_az", "imdsv2"}


def test_security_vpc_routes_only_to_the_app_vpc_and_the_proxy_subnets():
    """The security VPC peers with the LB VPC for the egress proxies only: a route to a proxy subnet
    passes; one to the whole LB VPC (its public subnets too) or to an internet/NAT gateway does not."""
    allowed = ["10.30.0.0/16", "10.20.128.0/20", "10.20.144.0/20"]
    ok = {"RouteTableId": "rtb-ok", "Routes": [
        {"DestinationCidrBlock": "10.10.0.0/16", "GatewayId": "local"},
        {"DestinationCidrBlock": "10.30.0.0/16", "VpcPeeringConnectionId": "pcx-app"},
        {"DestinationCidrBlock": "10.20.128.0/20", "VpcPeeringConnectionId": "pcx-lb"}]}
    assert security_audit.check_security_egress([ok], allowed) == []
    bad = {"RouteTableId": "rtb-bad", "Routes": [
        {"DestinationCidrBlock": "10.20.0.0/16", "VpcPeeringConnectionId": "pcx-lb"},
        {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1"},
        {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1"}]}
    messages = [finding[1] for finding in security_audit.check_security_egress([bad], allowed)]
    assert len(messages) == 3
    assert "routes 10.20.0.0/16 to pcx-lb: only the App VPC and the egress proxies' subnets" in messages[0]
    assert "nat-1" in messages[1] and "igw-1" in messages[2]


def test_every_violation_is_named(aws_offline):
    ec2 = boto3.client("ec2", region_name="us-east-1")
    ids, igw, jump_sg = _stack(ec2)
    # rogue SSH from anywhere
    ec2.authorize_security_group_ingress(GroupId=jump_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 20, "ToPort": 30, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    # App VPC route to an internet gateway, and an IGW on the security VPC
    rt = ec2.create_route_table(VpcId=ids["app"])["RouteTable"]["RouteTableId"]
    igw2 = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw2, VpcId=ids["app"])
    ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw2)
    # flow log removed from the security VPC
    fl = [f for f in ec2.describe_flow_logs()["FlowLogs"] if f["ResourceId"] == ids["security"]][0]
    ec2.delete_flow_logs(FlowLogIds=[fl["FlowLogId"]])
    # an instance without IMDSv2 in the App VPC
    subnet = ec2.create_subnet(VpcId=ids["app"], CidrBlock="10.30.1.0/24")["Subnet"]["SubnetId"]
    ami = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    inst = ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, SubnetId=subnet,
                             MetadataOptions={"HttpTokens": "optional"})["Instances"][0]["InstanceId"]

    result = _audit(az_count=3)
    assert result["failed"] is True and result["passed"] is False
    by_check = {}
    for f in result["findings"]:
        by_check.setdefault(f["check"], []).append(f)
    assert by_check["ssh_sources"][0]["resource"] == jump_sg and "0.0.0.0/0" in by_check["ssh_sources"][0]["message"]
    assert by_check["app_egress"][0]["resource"] == rt and igw2 in by_check["app_egress"][0]["message"]
    assert by_check["igw_placement"][0]["resource"] == igw2
    assert by_check["flow_logs"][0]["resource"] == ids["security"]
    assert by_check["imdsv2"][0]["resource"] == inst
    assert "expected 3" in by_check["bastion_per_az"][0]["message"]
    for f in result["findings"]:
        assert f["resource"] in result["msg"] or f["message"] in result["msg"]


def test_report_only_mode_does_not_fail(aws_offline):
    ec2 = boto3.client("ec2", region_name="us-east-1")
    _stack(ec2)
    result = _audit(az_count=3, fail_on_findings=False)
    assert result.get("failed") is not True and result["passed"] is False and result["checks"]["bastion_per_az"] == 1


def test_ssh_only_along_the_path_and_never_from_the_vpn_client_cidr(aws_offline):
    """Client VPN source-NATs: a bastion rule for the client CIDR matches nothing. The audit names
    it (with the reason) and every other source off the path, and accepts exactly the path."""
    ec2 = boto3.client("ec2", region_name="us-east-1")
    ids, _igw, jump_sg = _stack(ec2)
    ec2.authorize_security_group_ingress(GroupId=ids["bastion_sg"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": VPN}]}])
    ec2.authorize_security_group_ingress(GroupId=jump_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "UserIdGroupPairs": [{"GroupId": ids["cvpn_sg"]}]}])
    ssh = [f for f in _audit(az_count=2)["findings"] if f["check"] == "ssh_sources"]
    assert sorted(f["resource"] for f in ssh) == sorted([ids["bastion_sg"], jump_sg])
    by_group = {f["resource"]: f["message"] for f in ssh}
    assert VPN in by_group[ids["bastion_sg"]] and "source-NAT" in by_group[ids["bastion_sg"]]
    assert ids["cvpn_sg"] in by_group[jump_sg] and "not a bastion group" in by_group[jump_sg]


def test_a_flow_log_that_cannot_deliver_is_named():
    tiers = {"security": "vpc-s", "lb": "vpc-l", "app": "vpc-a"}
    logs = [{"FlowLogId": "fl-s", "ResourceId": "vpc-s", "FlowLogStatus": "ACTIVE", "DeliverLogsStatus": "SUCCESS"},
            {"FlowLogId": "fl-l", "ResourceId": "vpc-l", "FlowLogStatus": "ACTIVE", "DeliverLogsStatus": "SUCCESS"},
            {"FlowLogId": "fl-a", "ResourceId": "vpc-a", "FlowLogStatus": "ACTIVE", "DeliverLogsStatus": "FAILED",
             "DeliverLogsErrorMessage": "Access error"}]
    assert security_audit.check_flow_logs(tiers, logs) == [
        ("fl-a", "flow log fl-a of VPC vpc-a cannot deliver (DeliverLogsStatus FAILED: Access error)"),
        ("vpc-a", "app VPC vpc-a has no active flow log")]
    logs[2]["DeliverLogsStatus"] = "SUCCESS"
    assert security_audit.check_flow_logs(tiers, logs) == []


def test_client_vpn_split_tunnel_logging_and_authorization():
    good = {"ClientVpnEndpointId": "cvpn-endpoint-1", "SplitTunnel": True,
            "ConnectionLogOptions": {"Enabled": True, "CloudwatchLogGroup": "/g"}}
    bastions = {"10.10.128.0/20", "10.10.144.0/20"}
    rules = {"cvpn-endpoint-1": [{"DestinationCidr": "10.10.128.0/20", "Status": {"Code": "active"}},
                                 {"DestinationCidr": "0.0.0.0/0", "Status": {"Code": "revoking"}}]}
    assert security_audit.check_client_vpn([good], rules, bastions) == []
    bad = dict(good, SplitTunnel=False, ConnectionLogOptions={"Enabled": False})
    rules["cvpn-endpoint-1"].append({"DestinationCidr": "10.30.0.0/16", "Status": {"Code": "active"}})
    assert security_audit.check_client_vpn([bad], rules, bastions) == [
        ("cvpn-endpoint-1", "Client VPN endpoint cvpn-endpoint-1 has split tunnel off: all client traffic enters the VPC"),
        ("cvpn-endpoint-1", "Client VPN endpoint cvpn-endpoint-1 does not log connections"),
        ("cvpn-endpoint-1", "Client VPN endpoint cvpn-endpoint-1 authorizes 10.30.0.0/16, which is not a bastion subnet")]


# --- EKS invariants: check_eks on the shapes DescribeCluster, DescribeNodegroup and
# DescribeLaunchTemplateVersions return (moto's EKS lacks several of these fields).
def _eks_fixture():
    cluster = {"name": "eksplat-us-east-1", "resourcesVpcConfig": {
        "subnetIds": ["subnet-a", "subnet-b"], "securityGroupIds": ["sg-cp"], "clusterSecurityGroupId": "sg-eks",
        "endpointPublicAccess": False, "endpointPrivateAccess": True},
        "encryptionConfig": [{"resources": ["secrets"], "provider": {"keyArn": "arn:aws:kms:us-east-1:1:key/k"}}],
        "logging": {"clusterLogging": [{"types": ["api", "audit", "authenticator", "controllerManager", "scheduler"],
                                        "enabled": True}]}}
    group = {"nodegroupName": "nodes", "nodegroupArn": "arn:aws:eks:us-east-1:1:nodegroup/c/nodes/1",
             "subnets": ["subnet-a", "subnet-b"], "launchTemplate": {"id": "lt-1", "version": "3"}}
    templates = {("lt-1", "3"): {"MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 1}}}

    def pair(gid):
        return {"UserIdGroupPairs": [{"GroupId": gid}], "IpRanges": [], "Ipv6Ranges": [], "PrefixListIds": []}

    sgs = {
        "sg-eks": {"GroupId": "sg-eks", "GroupName": "eks-cluster-sg", "IpPermissions": [dict(pair("sg-eks"), IpProtocol="-1")],
                   "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]},
        "sg-cp": {"GroupId": "sg-cp", "GroupName": "cp", "Tags": [{"Key": "devsecops:role", "Value": "eks-control-plane"}],
                  "IpPermissions": [dict(pair("sg-jump"), IpProtocol="tcp", FromPort=443, ToPort=443),
                                    dict(pair("sg-nodes"), IpProtocol="tcp", FromPort=443, ToPort=443)],
                  "IpPermissionsEgress": [dict(pair("sg-nodes"), IpProtocol="tcp", FromPort=443, ToPort=443)]},
        "sg-jump": {"GroupId": "sg-jump", "Tags": [{"Key": "devsecops:role", "Value": "jump-host"}]},
        "sg-nodes": {"GroupId": "sg-nodes", "Tags": [{"Key": "devsecops:role", "Value": "eks-nodes"}]},
    }
    return cluster, [group], templates, {"subnet-a", "subnet-b"}, sgs


def test_a_private_encrypted_logged_cluster_passes_the_eks_checks():
    assert security_audit.check_eks(*_eks_fixture()) == []


def test_each_eks_violation_is_named():
    cluster, groups, templates, subnets, sgs = _eks_fixture()
    cluster["resourcesVpcConfig"].update(endpointPublicAccess=True, publicAccessCidrs=["0.0.0.0/0"])
    cluster["resourcesVpcConfig"]["subnetIds"].append("subnet-public")
    cluster["encryptionConfig"] = []
    cluster["logging"]["clusterLogging"][0]["types"] = ["api", "audit"]
    groups[0]["remoteAccess"] = {"ec2SshKey": "ops"}
    templates[("lt-1", "3")]["MetadataOptions"]["HttpPutResponseHopLimit"] = 2
    groups.append({"nodegroupName": "legacy", "nodegroupArn": "arn:legacy", "subnets": ["subnet-a"]})
    sgs["sg-cp"]["IpPermissions"].append({"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                          "IpRanges": [{"CidrIp": "0.0.0.0/0"}]})
    sgs["sg-eks"]["IpPermissions"].append(dict(IpProtocol="tcp", FromPort=22, ToPort=22, UserIdGroupPairs=[{"GroupId": "sg-jump"}]))
    found = {(c, r): m for c, r, m in security_audit.check_eks(cluster, groups, templates, subnets, sgs)}
    assert set(found) == {
        ("eks_endpoint", "eksplat-us-east-1"), ("eks_secrets_encryption", "eksplat-us-east-1"),
        ("eks_logging", "eksplat-us-east-1"), ("eks_placement", "eksplat-us-east-1"),
        ("eks_node_ssh", groups[0]["nodegroupArn"]), ("eks_node_imdsv2", groups[0]["nodegroupArn"]),
        ("eks_node_imdsv2", "arn:legacy"), ("eks_security_groups", "sg-cp"), ("eks_security_groups", "sg-eks")}
    assert "controllerManager, scheduler" in found[("eks_logging", "eksplat-us-east-1")]
    assert "subnet-public" in found[("eks_placement", "eksplat-us-east-1")]
    assert "0.0.0.0/0" in found[("eks_security_groups", "sg-cp")]
    assert "sg-jump" in found[("eks_security_groups", "sg-eks")]


def test_every_alarm_of_the_stack_pages_someone(aws_offline):
    _stack(boto3.client("ec2", region_name="us-east-1"))
    cw = boto3.client("cloudwatch", region_name="us-east-1")
    topic = boto3.client("sns", region_name="us-east-1").create_topic(Name="s-us-east-1-oncall")["TopicArn"]
    common = dict(MetricName="ErrorPortAllocation", Namespace="AWS/NATGateway", Statistic="Sum", Period=300,
                  EvaluationPeriods=1, Threshold=0, ComparisonOperator="GreaterThanThreshold")
    cw.put_metric_alarm(AlarmName="s-us-east-1-paged", AlarmActions=[topic], **common)
    assert _audit(alarm_prefix="s-us-east-1-")["checks"]["alarm_actions"] == 0
    cw.put_metric_alarm(AlarmName="s-us-east-1-silent", **common)
    cw.put_metric_alarm(AlarmName="s-us-east-1-muted", AlarmActions=[topic], ActionsEnabled=False, **common)
    cw.put_metric_alarm(AlarmName="other-stack-silent", **common)  # not this stack's
    result = _audit(alarm_prefix="s-us-east-1-")
    assert result["failed"] is True
    named = sorted((f["resource"], f["message"]) for f in result["findings"] if f["check"] == "alarm_actions")
    assert named == [("s-us-east-1-muted", "alarm s-us-east-1-muted has its actions disabled"),
                     ("s-us-east-1-silent", "alarm s-us-east-1-silent has no alarm action: it pages no one")]
    assert "alarm_actions" not in _audit()["checks"]


def test_load_balancer_checks_name_each_resource():
    lb = {"LoadBalancerName": "edge", "AvailabilityZones": [{"SubnetId": "subnet-pub"}, {"SubnetId": "subnet-app"}]}
    listeners = [{"ListenerArn": "l-443", "Port": 443, "Protocol": "TLS", "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"},
                 {"ListenerArn": "l-22", "Port": 22, "Protocol": "TCP"},
                 {"ListenerArn": "l-8443", "Port": 8443, "Protocol": "TLS", "SslPolicy": "ELBSecurityPolicy-2016-08"}]
    groups = [{"TargetGroupArn": "tg1", "TargetGroupName": "ingress", "HealthCheckEnabled": True, "HealthCheckProtocol": "HTTPS",
               "HealthCheckPath": "/healthz"},
              {"TargetGroupArn": "tg2", "TargetGroupName": "rogue", "HealthCheckEnabled": False}]
    targets = {"tg1": [{"Id": "10.30.1.5"}, {"Id": "i-app"}], "tg2": [{"Id": "192.0.2.7"}, {"Id": "i-elsewhere"}]}
    found = security_audit.check_load_balancer(lb, listeners, groups, targets, {"subnet-pub"}, "10.30.0.0/16", {"i-app"}, [443, 8443])
    assert [(c, r) for c, r, m in found] == [
        ("lb_placement", "edge"), ("lb_listeners", "l-22"), ("lb_tls_policy", "l-8443"), ("lb_health_checks", "rogue"),
        ("lb_targets", "192.0.2.7"), ("lb_targets", "i-elsewhere")]
    assert "subnet-app" in found[0][2] and "port 22" in found[1][2]
    placed = dict(lb, AvailabilityZones=[{"SubnetId": "subnet-pub"}])
    clean = security_audit.check_load_balancer(placed, listeners[:1], groups[:1], {"tg1": [{"Id": "10.30.1.5"}]},
                                               {"subnet-pub"}, "10.30.0.0/16", set(), [443])
    assert clean == []


def test_dns_record_checks_name_the_record_or_health_check():
    name, ident = "app.example.com.", "s-us-east-1"
    target = {"DNSName": "s-us-east-1-1.us-east-1.elb.amazonaws.com.", "HostedZoneId": "Z1", "EvaluateTargetHealth": True}
    good = {"Name": name, "Type": "A", "SetIdentifier": ident, "Region": "us-east-1", "AliasTarget": target, "HealthCheckId": "hc-1"}
    check = {"Id": "hc-1", "HealthCheckConfig": {"FullyQualifiedDomainName": "s-us-east-1-1.us-east-1.elb.amazonaws.com"}}
    other = dict(good, SetIdentifier="s-us-west-2")
    assert security_audit.check_dns_record([good, other], ident, name, check) == []
    assert "no DNS record" in security_audit.check_dns_record([other], ident, name, check)[0][1]
    unchecked = {k: v for k, v in good.items() if k != "HealthCheckId"}
    assert "has no health check" in security_audit.check_dns_record([unchecked], ident, name, None)[0][1]
    assert security_audit.check_dns_record([good], ident, name, None) == [
        ("hc-1", "health check hc-1 of DNS record app.example.com. (s-us-east-1) does not exist")]
    elsewhere = {"HealthCheckConfig": {"FullyQualifiedDomainName": "example.org"}}
    assert "checks example.org" in security_audit.check_dns_record([good], ident, name, elsewhere)[0][1]
