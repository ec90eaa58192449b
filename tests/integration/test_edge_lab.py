"""Two regions (us-east-1 and us-west-2, two AZs each, built in one run) behind Route 53, on the lab
emulator, on a stack of its own with only the network and security groups under the edge: in each
region the NLB in the LB VPC's public subnets on one Elastic IP per AZ with the load balancers' security
group, a TLS listener with the imported certificate and a current policy, IP targets in the App VPC with
health checks, access logs to an encrypted, TLS-only bucket that only the region's log delivery may
write, with lifecycle; the regions' VPC CIDRs do not overlap; one latency record per region with a
Route 53 health check of its load balancer; rerun and check mode changed=0; the audit's load balancer
and DNS checks, drift (a listener on port 22, a deleted health check, a region's record deleted) named
by the audit and repaired by a rerun; teardown of both regions to zero. Tests run in file order.

What only real DNS shows: that resolvers get the lowest-latency region, and that a region whose health
check fails (or whose load balancer has no healthy target) drops out of the answers - Route 53's own
behaviour for health-checked latency records with evaluate_target_health, which the emulator stores but
does not resolve."""
from __future__ import annotations

import json

import pytest

from labrun import REPO, lab_client

STACK = "edgelab"
REGIONS = ["us-east-1", "us-west-2"]
REGION = REGIONS[0]
NAME = f"{STACK}-{REGION}"
BUCKET = f"{NAME}-123456789012-lb-logs"
ZONE = "edgelab.example.com"
RECORD = f"app.{ZONE}"
# the ingress proxies of each region, in its App VPC (the first region keeps 10.30/16, the second gets 10.70/16)
TARGETS = ["10.30.0.10", "10.30.16.10"]
EXTRA = json.dumps({"eks_platform_stack": STACK, "eks_platform_regions": REGIONS, "eks_platform_az_count": 2,
                    "eks_platform_edge_enabled": True, "eks_platform_dns_enabled": True,
                    "dns_zone_name": ZONE, "dns_record_name": RECORD,
                    "edge_targets": "{{ ['10.30.0.10', '10.30.16.10'] if eks_platform_region == 'us-east-1' else ['10.70.0.10'] }}",
                    "edge_certificate": "{{ client_vpn_server_certificate }}",
                    "edge_certificate_private_key": "{{ client_vpn_server_private_key }}",
                    "edge_certificate_chain": "{{ client_vpn_server_certificate_chain }}"})
ARGS = ("-e", EXTRA)


def client(service, region=REGION):
    return lab_client(service, region)


def the_lb(region=REGION):
    return client("elbv2", region).describe_load_balancers(Names=[f"{STACK}-{region}"])["LoadBalancers"][0]


def changed(run) -> int:
    """The changed count over every host of the run (one per region, and the controller), which must have succeeded."""
    assert run.rc == 0, run.out[-3000:]
    return sum(host["changed"] for host in run.recap.values())


@pytest.fixture(scope="module")
def built(playbook, lab_aws):
    run = playbook("edge_network.yml", *ARGS, cwd=REPO / "tests" / "integration")
    assert run.rc == 0, run.out[-3000:]
    assert sorted(run.recap) == sorted(REGIONS + ["localhost"])
    assert changed(playbook("edge.yml", *ARGS)) > 0
    assert changed(playbook("dns.yml", *ARGS)) > 0
    return the_lb()


def zone_id():
    zones = client("route53").list_hosted_zones_by_name(DNSName=ZONE + ".")["HostedZones"]
    return [z["Id"] for z in zones if z["Name"] == ZONE + "."][0]


def records():
    sets = client("route53").list_resource_record_sets(HostedZoneId=zone_id())["ResourceRecordSets"]
    return {r["SetIdentifier"]: r for r in sets if r["Name"] == RECORD + "."}


def test_both_regions_are_built_in_one_run_without_overlapping_cidrs(built):
    cidrs = {}
    for region in REGIONS:
        vpcs = client("ec2", region).describe_vpcs(Filters=[{"Name": "tag:devsecops:stack", "Values": [STACK]}])["Vpcs"]
        cidrs[region] = sorted(v["CidrBlock"] for v in vpcs)
        assert the_lb(region)["Type"] == "network"
    assert cidrs == {"us-east-1": ["10.10.0.0/16", "10.20.0.0/16", "10.30.0.0/16"],
                     "us-west-2": ["10.50.0.0/16", "10.60.0.0/16", "10.70.0.0/16"]}


def test_each_region_has_a_health_checked_latency_record(built):
    route53 = client("route53")
    found = records()
    assert sorted(found) == [f"{STACK}-{r}" for r in REGIONS]
    for region in REGIONS:
        record, lb = found[f"{STACK}-{region}"], the_lb(region)
        assert record["Type"] == "A" and record["Region"] == region
        assert record["AliasTarget"]["DNSName"].rstrip(".") == lb["DNSName"] and record["AliasTarget"]["EvaluateTargetHealth"]
        check = route53.get_health_check(HealthCheckId=record["HealthCheckId"])["HealthCheck"]["HealthCheckConfig"]
        assert (check["Type"], check["FullyQualifiedDomainName"], check["Port"], check["ResourcePath"]) == (
            "HTTPS", lb["DNSName"], 443, "/healthz")


def test_the_nlb_is_public_on_one_eip_per_az_behind_the_lb_group(built):
    ec2 = client("ec2")
    assert built["Type"] == "network" and built["Scheme"] == "internet-facing"
    subnets = ec2.describe_subnets(SubnetIds=[z["SubnetId"] for z in built["AvailabilityZones"]])["Subnets"]
    tags = [{t["Key"]: t["Value"] for t in s["Tags"]} for s in subnets]
    assert len({s["AvailabilityZone"] for s in subnets}) == 2
    assert all(t["devsecops:stack"] == STACK and t["devsecops:vpc"] == "lb" and t["devsecops:tier"] == "public" for t in tags)
    eips = ec2.describe_addresses(Filters=[{"Name": "tag:devsecops:stack", "Values": [STACK]}])["Addresses"]
    mapped = sorted(a["AllocationId"] for z in built["AvailabilityZones"] for a in z.get("LoadBalancerAddresses", []))
    assert mapped == sorted(a["AllocationId"] for a in eips) and len(mapped) == 2
    group = ec2.describe_security_groups(GroupIds=built["SecurityGroups"])["SecurityGroups"][0]
    assert group["GroupName"] == f"{STACK}-lb"
    assert [(r["FromPort"], r["ToPort"]) for r in group["IpPermissions"]] == [(443, 443)]
    # the targets' group (the nodes the ingress proxies run on) admits the proxies' port from this group, and
    # from no address range (besides it, only the EKS control plane's group, for webhooks)
    groups = {g["GroupName"]: g for g in ec2.describe_security_groups(
        Filters=[{"Name": "tag:devsecops:stack", "Values": [STACK]}])["SecurityGroups"]}
    from_lb = [r for r in groups[f"{STACK}-eks-nodes"]["IpPermissions"] if r.get("FromPort") == 443]
    assert [r["IpRanges"] for r in from_lb] == [[]]
    assert sorted(p["GroupId"] for p in from_lb[0]["UserIdGroupPairs"]) == sorted(
        [group["GroupId"], groups[f"{STACK}-eks-control-plane"]["GroupId"]])


def test_tls_listener_and_health_checked_ip_targets_in_the_app_vpc(built):
    elb, acm = client("elbv2"), client("acm")
    listeners = elb.describe_listeners(LoadBalancerArn=built["LoadBalancerArn"])["Listeners"]
    assert [(x["Port"], x["Protocol"], x["SslPolicy"]) for x in listeners] == [(443, "TLS", "ELBSecurityPolicy-TLS13-1-2-2021-06")]
    cert = acm.describe_certificate(CertificateArn=listeners[0]["Certificates"][0]["CertificateArn"])["Certificate"]
    assert cert["Type"] == "IMPORTED"
    tg = elb.describe_target_groups(TargetGroupArns=[listeners[0]["DefaultActions"][0]["TargetGroupArn"]])["TargetGroups"][0]
    assert (tg["TargetType"], tg["Protocol"], tg["Port"]) == ("ip", "TLS", 443)
    assert (tg["HealthCheckProtocol"], tg["HealthCheckPath"], tg["HealthCheckIntervalSeconds"]) == ("HTTPS", "/healthz", 10)
    assert (tg["HealthyThresholdCount"], tg["UnhealthyThresholdCount"]) == (3, 3)
    health = elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"]
    assert sorted(h["Target"]["Id"] for h in health) == TARGETS


def test_access_logs_go_to_an_encrypted_tls_only_bucket_only_log_delivery_writes(built):
    elb, s3 = client("elbv2"), client("s3")
    attrs = {a["Key"]: a["Value"] for a in elb.describe_load_balancer_attributes(LoadBalancerArn=built["LoadBalancerArn"])["Attributes"]}
    assert (attrs["access_logs.s3.enabled"], attrs["access_logs.s3.bucket"], attrs["access_logs.s3.prefix"]) == ("true", BUCKET, "nlb")
    assert attrs["load_balancing.cross_zone.enabled"] == "true"
    rule = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    policy = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])
    deny = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
    assert deny[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    writers = [s for s in policy["Statement"] if s["Effect"] == "Allow" and "s3:PutObject" in json.dumps(s["Action"])]
    assert [w["Principal"] for w in writers] == [{"Service": "delivery.logs.amazonaws.com"}]
    assert writers[0]["Condition"]["ArnLike"]["aws:SourceArn"] == f"arn:aws:logs:{REGION}:123456789012:*"
    assert writers[0]["Resource"] == f"arn:aws:s3:::{BUCKET}/nlb/AWSLogs/123456789012/*"
    block = s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    lifecycle = s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    assert [(r["ID"], r["Expiration"]["Days"], r["Status"]) for r in lifecycle] == [("expire-access-logs", 90, "Enabled")]


def test_rerun_and_check_mode_change_nothing(playbook, built):
    for name in ("edge.yml", "dns.yml"):
        assert changed(playbook(name, *ARGS)) == 0, name
        assert changed(playbook(name, *ARGS, "--check", "--diff")) == 0, name


def audit(playbook, tmp_path):
    """The load balancer and DNS findings of each region's audit (this stack has no bastions or flow logs, so
    the audit fails on those)."""
    run = playbook("audit.yml", *ARGS, "-e", f"eks_platform_report_dir={tmp_path}", "-e", "eks_platform_az_count=0")
    found = []
    for region in REGIONS:
        report = json.loads((tmp_path / f"audit-{STACK}-{region}.json").read_text())
        assert {"lb_placement", "lb_listeners", "lb_tls_policy", "lb_health_checks", "lb_targets", "dns_record"} <= set(
            report["checks"]), run.out[-2000:]
        found += [(region, f["check"], f["resource"], f["message"]) for f in report["findings"]
                  if f["check"].startswith(("lb_", "dns_"))]
    return found


def test_the_audit_names_each_drift_and_a_rerun_repairs_it(playbook, built, tmp_path):
    elb, route53 = client("elbv2"), client("route53")
    assert audit(playbook, tmp_path) == []
    tg = elb.describe_target_groups(Names=[f"{NAME}-ingress"])["TargetGroups"][0]["TargetGroupArn"]
    ssh = elb.create_listener(LoadBalancerArn=built["LoadBalancerArn"], Protocol="TCP", Port=22,
                              DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])["Listeners"][0]["ListenerArn"]
    west = records()[f"{STACK}-us-west-2"]
    route53.delete_health_check(HealthCheckId=west["HealthCheckId"])
    east = records()[f"{STACK}-us-east-1"]
    route53.change_resource_record_sets(HostedZoneId=zone_id(), ChangeBatch={"Changes": [
        {"Action": "DELETE", "ResourceRecordSet": east}]})
    found = audit(playbook, tmp_path)
    assert [(r, c, res) for r, c, res, m in found] == [
        ("us-east-1", "lb_listeners", ssh), ("us-east-1", "dns_record", RECORD + "."),
        ("us-west-2", "dns_record", west["HealthCheckId"])], found
    assert "port 22" in found[0][3] and "no DNS record" in found[1][3] and "does not exist" in found[2][3]
    assert changed(playbook("edge.yml", *ARGS)) == 1
    assert [x["Port"] for x in elb.describe_listeners(LoadBalancerArn=built["LoadBalancerArn"])["Listeners"]] == [443]
    assert changed(playbook("dns.yml", *ARGS)) >= 2
    assert sorted(records()) == [f"{STACK}-{r}" for r in REGIONS]
    assert audit(playbook, tmp_path) == []


def test_teardown_of_both_regions_leaves_nothing(playbook, built):
    assert changed(playbook("teardown.yml", *ARGS, "-e", f"teardown_confirm={STACK}")) > 0
    buckets = [b["Name"] for b in client("s3").list_buckets()["Buckets"]]
    for region in REGIONS:
        elb, ec2 = client("elbv2", region), client("ec2", region)
        name = f"{STACK}-{region}"
        assert [lb for lb in elb.describe_load_balancers()["LoadBalancers"] if lb["LoadBalancerName"] == name] == []
        assert [t for t in elb.describe_target_groups()["TargetGroups"] if t["TargetGroupName"].startswith(name)] == []
        assert ec2.describe_addresses(Filters=[{"Name": "tag:devsecops:stack", "Values": [STACK]}])["Addresses"] == []
        assert f"{name}-123456789012-lb-logs" not in buckets
        assert ec2.describe_vpcs(Filters=[{"Name": "tag:devsecops:stack", "Values": [STACK]}])["Vpcs"] == []
    route53 = client("route53")
    assert [z for z in route53.list_hosted_zones()["HostedZones"] if z["Name"] == ZONE + "."] == []
    assert [h for h in route53.list_health_checks()["HealthChecks"] if STACK in h["HealthCheckConfig"].get("FullyQualifiedDomainName", "")] == []
    assert changed(playbook("teardown.yml", *ARGS, "-e", f"teardown_confirm={STACK}")) == 0
