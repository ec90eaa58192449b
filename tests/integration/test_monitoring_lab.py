"""playbooks/monitoring.yml on the lab emulator: the on-call topic encrypted with a key CloudWatch may
use, alarms on the stack's NAT gateways, the given target groups and the host findings (metric filters
on the hosts' log groups), each wired to the topic, and the region's dashboard; a rerun and check mode
that change nothing; a removed alarm action repaired; teardown. Its own stack: a NAT gateway and two
host log groups, the Client VPN's connection log group and the dns role's zone, health check and record,
made directly as provisioning, fluentd and the dns role would leave them. In us-west-2: Route 53's
health-check metrics are only in us-east-1, so the DNS alarm and the topic it pages are built there."""
from __future__ import annotations

import json
import re

import pytest

from labrun import changed, lab_client

STACK = "monlab"
REGION = "us-west-2"
ZONE = "monlab.example.com"
NAME = f"{STACK}-{REGION}"
TG = {"target_group": "targetgroup/monlab-ingress/0123456789abcdef", "load_balancer": "net/monlab/0123456789abcdef"}
CANARY_URL = "https://app.monlab.example.com/"
EXTRA = json.dumps({"eks_platform_stack": STACK, "eks_platform_monitoring_enabled": True,
                    "monitoring_subscriptions": [{"protocol": "email", "endpoint": "oncall@example.com"}],
                    "monitoring_target_groups": [TG], "monitoring_canary_enabled": True,
                    "eks_platform_region": REGION, "eks_platform_dns_enabled": True, "dns_zone_name": ZONE,
                    "dns_record_name": "app.monlab.example.com", "monitoring_canary_marker": "eks-platform-ok"})
ARGS = ("-e", EXTRA)
HOSTS = [f"/eks-platform/{STACK}/hosts/i-0aaa", f"/eks-platform/{STACK}/hosts/i-0bbb"]
VPN_LOG = f"/eks-platform/{STACK}/client-vpn"


def client(service):
    return lab_client(service, REGION)


@pytest.fixture(scope="module")
def nat(lab_aws):
    ec2, logs = client("ec2"), client("logs")
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.77.1.0/24")["Subnet"]["SubnetId"]
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat_id = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=eip, TagSpecifications=[{
        "ResourceType": "natgateway", "Tags": [{"Key": "devsecops:stack", "Value": STACK}]}])["NatGateway"]["NatGatewayId"]
    for group in HOSTS + [VPN_LOG]:
        logs.create_log_group(logGroupName=group)
    route53 = client("route53")
    zone = route53.create_hosted_zone(Name=ZONE, CallerReference="monlab")["HostedZone"]["Id"]
    check = route53.create_health_check(CallerReference="monlab-check", HealthCheckConfig={
        "Type": "HTTPS", "FullyQualifiedDomainName": "monlab-nlb.elb.us-west-2.amazonaws.com", "Port": 443,
        "ResourcePath": "/healthz"})["HealthCheck"]["Id"]
    route53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
        "Name": "app.monlab.example.com", "Type": "A", "SetIdentifier": NAME, "Region": REGION, "HealthCheckId": check,
        "AliasTarget": {"HostedZoneId": "Z18D5FSROUN65G", "DNSName": "monlab-nlb.elb.us-west-2.amazonaws.com",
                        "EvaluateTargetHealth": True}}}]})
    yield nat_id, check
    # the emulator is shared with the other integration tests; teardown.yml took the tagged NAT gateway
    for call, kwargs in ((ec2.delete_nat_gateway, {"NatGatewayId": nat_id}), (ec2.release_address, {"AllocationId": eip}),
                         (ec2.delete_subnet, {"SubnetId": subnet}), (ec2.delete_vpc, {"VpcId": vpc})):
        try:
            call(**kwargs)
        except ec2.exceptions.ClientError:
            pass


@pytest.fixture(scope="module")
def built(playbook, nat):
    run = playbook("monitoring.yml", *ARGS)
    assert changed(run) > 0
    return nat[0]


@pytest.fixture(scope="module")
def health_check(nat):
    return nat[1]


def alarms():
    return {a["AlarmName"]: a for a in client("cloudwatch").describe_alarms(AlarmNamePrefix=f"{NAME}-")["MetricAlarms"]}


def topic_arn():
    return f"arn:aws:sns:{REGION}:123456789012:{NAME}-oncall"


def test_the_topic_is_encrypted_with_a_key_cloudwatch_may_use(built):
    sns, kms = client("sns"), client("kms")
    attributes = sns.get_topic_attributes(TopicArn=topic_arn())["Attributes"]
    key = kms.describe_key(KeyId=attributes["KmsMasterKeyId"])["KeyMetadata"]
    assert key["KeyManager"] == "CUSTOMER"  # SNS's AWS-managed key would not let CloudWatch publish
    policy = json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
    cloudwatch = [s for s in policy["Statement"] if s["Principal"].get("Service") == "cloudwatch.amazonaws.com"]
    assert cloudwatch and set(cloudwatch[0]["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True
    subs = sns.list_subscriptions_by_topic(TopicArn=topic_arn())["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subs] == [("email", "oncall@example.com")]


def test_every_alarm_pages_the_topic(built):
    found = alarms()
    assert sorted(found) == sorted([
        f"{NAME}-nat-port-allocation-{built}", f"{NAME}-nat-packets-dropped-{built}",
        f"{NAME}-unhealthy-monlab-ingress", f"{NAME}-no-healthy-monlab-ingress",
        f"{NAME}-hosts-AideChanges", f"{NAME}-hosts-ClamavDetections", f"{NAME}-hosts-SelinuxDenials", f"{NAME}-canary",
        f"{NAME}-client-vpn-connection-failures"])
    for alarm in found.values():
        assert alarm["AlarmActions"] == [topic_arn()] and alarm["OKActions"] == [topic_arn()], alarm["AlarmName"]
    nat = found[f"{NAME}-nat-port-allocation-{built}"]
    assert (nat["Namespace"], nat["MetricName"], nat["Dimensions"]) == (
        "AWS/NATGateway", "ErrorPortAllocation", [{"Name": "NatGatewayId", "Value": built}])
    no_healthy = found[f"{NAME}-no-healthy-monlab-ingress"]
    assert (no_healthy["Namespace"], no_healthy["ComparisonOperator"], no_healthy["Threshold"]) == (
        "AWS/NetworkELB", "LessThanThreshold", 1.0)


def test_the_canary_calls_the_service_through_dns_every_5_minutes_and_pages_when_it_fails(built):
    canary = client("synthetics").get_canary(Name=NAME)["Canary"]
    assert canary["Status"]["State"] == "RUNNING"
    assert canary["Schedule"]["Expression"] == "rate(5 minutes)" and canary["RuntimeVersion"].startswith("syn-nodejs-")
    bucket = f"{NAME}-123456789012-canary"
    assert canary["ArtifactS3Location"] == f"s3://{bucket}/runs"
    s3 = client("s3")
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0][
        "ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert [r["Expiration"]["Days"] for r in s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]] == [31]
    role = client("iam").get_role(RoleName=f"{NAME}-canary")["Role"]
    assert canary["ExecutionRoleArn"] == role["Arn"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
    alarm = alarms()[f"{NAME}-canary"]
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Dimensions"]) == (
        "CloudWatchSynthetics", "SuccessPercent", [{"Name": "CanaryName", "Value": NAME}])
    assert alarm["TreatMissingData"] == "breaching" and alarm["AlarmActions"] == [topic_arn()]
    assert CANARY_URL in alarm["AlarmDescription"]


def test_failed_client_vpn_connections_page(built):
    logs = client("logs")
    (flt,) = logs.describe_metric_filters(logGroupName=VPN_LOG)["metricFilters"]
    transformation = flt["metricTransformations"][0]
    assert (transformation["metricNamespace"], transformation["metricName"]) == ("EKSPlatform/Access", "ClientVpnConnectionFailures")
    # the endpoint's connection log is JSON: a failed attempt matches, a successful one does not
    pattern = re.compile(flt["filterPattern"].strip("%"))
    assert pattern.search('{"connection-log-type": "connection-attempt", "connection-attempt-status": "failed"}')
    assert pattern.search('{"connection-attempt-status":"failed","connection-attempt-failure-reason":"NA"}')
    assert not pattern.search('{"connection-attempt-status": "successful", "connection-attempt-failure-reason": "NA"}')
    alarm = alarms()[f"{NAME}-client-vpn-connection-failures"]
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Threshold"]) == ("EKSPlatform/Access", "ClientVpnConnectionFailures", 2.0)


def test_the_regions_dns_health_check_pages_from_us_east_1(built, health_check):
    """Route 53 publishes HealthCheckStatus only in us-east-1: the alarm is there, on a topic there."""
    east = lab_client("cloudwatch", "us-east-1")
    (alarm,) = east.describe_alarms(AlarmNames=[f"{NAME}-dns-health"])["MetricAlarms"]
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Dimensions"]) == (
        "AWS/Route53", "HealthCheckStatus", [{"Name": "HealthCheckId", "Value": health_check}])
    assert (alarm["ComparisonOperator"], alarm["Threshold"], alarm["TreatMissingData"]) == ("LessThanThreshold", 1.0, "breaching")
    east_topic = f"arn:aws:sns:us-east-1:123456789012:{STACK}-us-east-1-oncall"
    assert alarm["AlarmActions"] == [east_topic] and alarm["OKActions"] == [east_topic]
    attributes = lab_client("sns", "us-east-1").get_topic_attributes(TopicArn=east_topic)["Attributes"]
    assert lab_client("kms", "us-east-1").describe_key(KeyId=attributes["KmsMasterKeyId"])["KeyMetadata"]["KeyManager"] == "CUSTOMER"
    subs = lab_client("sns", "us-east-1").list_subscriptions_by_topic(TopicArn=east_topic)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subs] == [("email", "oncall@example.com")]


def test_host_findings_are_counted_on_every_hosts_log_group(built):
    logs = client("logs")
    for group in HOSTS:
        filters = {f["filterName"]: f for f in logs.describe_metric_filters(logGroupName=group)["metricFilters"]}
        assert sorted(filters) == ["AideChanges", "ClamavDetections", "SelinuxDenials"]
        assert filters["ClamavDetections"]["filterPattern"] == '"clamav-detection"'
        assert filters["AideChanges"]["metricTransformations"][0]["metricNamespace"] == "EKSPlatform/Hosts"


def test_the_dashboard_shows_the_findings_the_nat_gateway_and_the_targets(built):
    body = json.loads(client("cloudwatch").get_dashboard(DashboardName=NAME)["DashboardBody"])
    metrics = [m for w in body["widgets"] for m in w["properties"]["metrics"]]
    assert ["EKSPlatform/Hosts", "SelinuxDenials"] in metrics
    assert ["AWS/NATGateway", "BytesOutToDestination", "NatGatewayId", built] in metrics
    assert ["AWS/NetworkELB", "HealthyHostCount", "TargetGroup", TG["target_group"], "LoadBalancer", TG["load_balancer"]] in metrics
    assert ["AWS/NetworkELB", "ProcessedBytes", "LoadBalancer", TG["load_balancer"]] in metrics
    assert ["AWS/NetworkELB", "TCP_Target_Reset_Count", "LoadBalancer", TG["load_balancer"]] in metrics
    assert ["CloudWatchSynthetics", "SuccessPercent", "CanaryName", NAME] in metrics
    assert not [m for m in metrics if m[0] == "ContainerInsights"]  # this stack has no cluster


def test_a_rerun_and_check_mode_change_nothing(playbook, built):
    assert changed(playbook("monitoring.yml", *ARGS)) == 0
    assert changed(playbook("monitoring.yml", *ARGS, "--check")) == 0


def test_an_alarm_without_its_action_is_repaired(playbook, built):
    cw = client("cloudwatch")
    alarm = alarms()[f"{NAME}-hosts-ClamavDetections"]
    cw.put_metric_alarm(AlarmName=alarm["AlarmName"], MetricName=alarm["MetricName"], Namespace=alarm["Namespace"],
                        Statistic="Sum", Period=300, EvaluationPeriods=1, Threshold=0, ComparisonOperator="GreaterThanThreshold")
    assert alarms()[alarm["AlarmName"]]["AlarmActions"] == []
    assert changed(playbook("monitoring.yml", *ARGS)) == 1
    assert alarms()[alarm["AlarmName"]]["AlarmActions"] == [topic_arn()]


def test_bad_input_names_the_variable(playbook, built):
    bad = json.dumps({"eks_platform_stack": STACK, "eks_platform_monitoring_enabled": True,
                      "monitoring_subscriptions": [{"protocol": "sms", "endpoint": "+15555550100"}]})
    run = playbook("monitoring.yml", "-e", bad)
    assert run.rc != 0 and "monitoring_subscriptions: " in run.out
    assert "monitoring_target_groups" not in run.out[run.out.rfind("fatal:"):]


def test_teardown_removes_the_alarms_dashboard_topic_and_key(playbook, built):
    run = playbook("teardown.yml", *ARGS, "-e", f"teardown_confirm={STACK}")
    assert run.rc == 0, run.out[-3000:]
    assert alarms() == {}
    assert lab_client("cloudwatch", "us-east-1").describe_alarms(AlarmNamePrefix=f"{STACK}-")["MetricAlarms"] == []
    east_topics = [t["TopicArn"] for t in lab_client("sns", "us-east-1").list_topics()["Topics"]]
    assert f"arn:aws:sns:us-east-1:123456789012:{STACK}-us-east-1-oncall" not in east_topics
    assert client("synthetics").describe_canaries(Names=[NAME])["Canaries"] == []
    assert f"{NAME}-123456789012-canary" not in [b["Name"] for b in client("s3").list_buckets()["Buckets"]]
    assert client("cloudwatch").list_dashboards(DashboardNamePrefix=NAME)["DashboardEntries"] == []
    assert topic_arn() not in [t["TopicArn"] for t in client("sns").list_topics()["Topics"]]
    keys = client("kms").list_aliases()["Aliases"]
    key = [a["TargetKeyId"] for a in keys if a["AliasName"] == f"alias/{NAME}-oncall"]
    assert not key or client("kms").describe_key(KeyId=key[0])["KeyMetadata"]["KeyState"] == "PendingDeletion"
