"""The edge role (playbooks/edge.yml) on the lab emulator, on a stack of its own with only the network
and security groups under it: the NLB in the LB VPC's public subnets on one Elastic IP per AZ with the
load balancers' security group, a TLS listener with the imported certificate and a current policy, IP
targets in the App VPC with health checks, access logs to an encrypted, TLS-only bucket that only the
region's log delivery may write, with lifecycle; rerun and check mode changed=0; the audit's load
balancer checks, a listener on port 22 named by the audit and removed by a rerun; teardown to zero.
Tests run in file order."""
from __future__ import annotations

import json

import pytest

from labrun import REPO, changed, lab_client

STACK = "edgelab"
REGION = "us-east-1"
NAME = f"{STACK}-{REGION}"
BUCKET = f"{NAME}-123456789012-lb-logs"
TARGETS = ["10.30.0.10", "10.30.16.10"]
EXTRA = json.dumps({"eks_platform_stack": STACK, "eks_platform_az_count": 2, "eks_platform_edge_enabled": True,
                    "edge_targets": TARGETS, "edge_certificate": "{{ client_vpn_server_certificate }}",
                    "edge_certificate_private_key": "{{ client_vpn_server_private_key }}",
                    "edge_certificate_chain": "{{ client_vpn_server_certificate_chain }}"})
ARGS = ("-e", EXTRA)


def client(service):
    return lab_client(service, REGION)


def the_lb():
    return client("elbv2").describe_load_balancers(Names=[NAME])["LoadBalancers"][0]


@pytest.fixture(scope="module")
def built(playbook, lab_aws):
    run = playbook("edge_network.yml", *ARGS, cwd=REPO / "tests" / "integration")
    assert run.rc == 0, run.out[-3000:]
    assert changed(playbook("edge.yml", *ARGS)) > 0
    return the_lb()


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
    assert changed(playbook("edge.yml", *ARGS)) == 0
    assert changed(playbook("edge.yml", *ARGS, "--check", "--diff")) == 0


def audit(playbook, tmp_path):
    """The audit's findings on this stack (it has no bastions or flow logs, so it fails on those)."""
    run = playbook("audit.yml", *ARGS, "-e", f"eks_platform_report_dir={tmp_path}", "-e", "eks_platform_az_count=0")
    report = json.loads((tmp_path / f"audit-{STACK}.json").read_text())
    assert {"lb_placement", "lb_listeners", "lb_tls_policy", "lb_health_checks", "lb_targets"} <= set(report["checks"]), run.out[-2000:]
    return [f for f in report["findings"] if f["check"].startswith("lb_")]


def test_the_audit_names_a_listener_on_port_22_and_a_rerun_removes_it(playbook, built, tmp_path):
    elb = client("elbv2")
    assert audit(playbook, tmp_path) == []
    tg = elb.describe_target_groups(Names=[f"{NAME}-ingress"])["TargetGroups"][0]["TargetGroupArn"]
    ssh = elb.create_listener(LoadBalancerArn=built["LoadBalancerArn"], Protocol="TCP", Port=22,
                              DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])["Listeners"][0]["ListenerArn"]
    found = audit(playbook, tmp_path)
    assert [(f["check"], f["resource"]) for f in found] == [("lb_listeners", ssh)] and "port 22" in found[0]["message"]
    assert changed(playbook("edge.yml", *ARGS)) == 1
    assert [x["Port"] for x in elb.describe_listeners(LoadBalancerArn=built["LoadBalancerArn"])["Listeners"]] == [443]
    assert audit(playbook, tmp_path) == []


def test_teardown_leaves_nothing(playbook, built):
    assert changed(playbook("teardown.yml", *ARGS, "-e", f"teardown_confirm={STACK}")) > 0
    elb, ec2, s3 = client("elbv2"), client("ec2"), client("s3")
    assert [lb["LoadBalancerName"] for lb in elb.describe_load_balancers()["LoadBalancers"] if lb["LoadBalancerName"] == NAME] == []
    assert [t for t in elb.describe_target_groups()["TargetGroups"] if t["TargetGroupName"].startswith(NAME)] == []
    assert ec2.describe_addresses(Filters=[{"Name": "tag:devsecops:stack", "Values": [STACK]}])["Addresses"] == []
    assert BUCKET not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert ec2.describe_vpcs(Filters=[{"Name": "tag:devsecops:stack", "Values": [STACK]}])["Vpcs"] == []
    assert changed(playbook("teardown.yml", *ARGS, "-e", f"teardown_confirm={STACK}")) == 0
