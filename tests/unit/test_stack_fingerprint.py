"""stack_fingerprint on in-process moto: a recorded converge is in sync until anything the roles
manage drifts, the inputs change or the record gets old; volatile fields and list order never
count; check mode writes nothing."""
from __future__ import annotations

import json

import boto3

from modrun import run_module
from ansible_collections.devsecops.eks_platform.plugins.modules import stack_fingerprint

ROLE = "s-us-east-1-bastion"


def _stack():
    ec2 = boto3.client("ec2", region_name="us-east-1")
    ids = {}
    for tier, cidr in (("security", "10.10.0.0/16"), ("lb", "10.20.0.0/16"), ("app", "10.30.0.0/16")):
        ids[tier] = ec2.create_vpc(CidrBlock=cidr, TagSpecifications=[{"ResourceType": "vpc", "Tags": [
            {"Key": "devsecops:stack", "Value": "s"}, {"Key": "devsecops:vpc", "Value": tier}]}])["Vpc"]["VpcId"]
    ids["sg"] = ec2.create_security_group(GroupName="bastion", Description="b", VpcId=ids["security"])["GroupId"]
    subnet = ec2.create_subnet(VpcId=ids["security"], CidrBlock="10.10.1.0/24")["Subnet"]["SubnetId"]
    ami = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    ids["instance"] = ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, SubnetId=subnet,
                                        MetadataOptions={"HttpTokens": "required"})["Instances"][0]["InstanceId"]
    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    iam.put_role_policy(RoleName=ROLE, PolicyName="logs", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}]}))
    iam.create_instance_profile(InstanceProfileName=ROLE)
    iam.add_role_to_instance_profile(InstanceProfileName=ROLE, RoleName=ROLE)
    boto3.client("logs", region_name="us-east-1").create_log_group(logGroupName="/eks-platform/s/flow-logs/app")
    return ec2, ids


def _run(**kw):
    args = dict(region="us-east-1", stack="s", inputs_digest="inputs-1", iam_roles=[ROLE], instance_profiles=[ROLE],
                log_group_prefixes=["/eks-platform/s/flow-logs/"], client_vpn=False)
    args.update(kw)
    result = run_module(stack_fingerprint.main, args)
    assert result.get("failed") is not True, result.get("msg")
    return result


def test_a_recorded_converge_is_in_sync_until_the_stack_drifts(aws_offline):
    ec2, ids = _stack()
    first = _run()
    assert first["in_sync"] is False and first["reason"] == "no converge of stack s is recorded"
    assert first["resources"]["vpcs"] == 3 and first["resources"]["iam_roles"] == 1
    assert first["resources"]["log_groups"] == 1 and first["resources"]["instances"] == 1

    recorded = _run(record=True)
    assert recorded["changed"] is True
    assert recorded["diff"]["after"] == {"devsecops:converged": first["fingerprint"]}
    tags = {t["Key"]: t["Value"] for t in ec2.describe_vpcs(VpcIds=[ids["security"]])["Vpcs"][0]["Tags"]}
    assert tags["devsecops:converged"] == first["fingerprint"]  # the record tags are not part of it
    again = _run()
    assert again["in_sync"] is True and again["fingerprint"] == first["fingerprint"], again["reason"]
    assert _run(record=True)["changed"] is False

    # the drift cases of the integration test, one kind each: every one breaks the sync
    ec2.modify_instance_metadata_options(InstanceId=ids["instance"], HttpTokens="optional")
    drifted = _run()
    assert drifted["in_sync"] is False and "changed since the last converge" in drifted["reason"]
    ec2.modify_instance_metadata_options(InstanceId=ids["instance"], HttpTokens="required")
    assert _run(record=True)["changed"] is True  # what the full run that repairs it does last
    assert _run()["in_sync"] is True

    ec2.authorize_security_group_ingress(GroupId=ids["sg"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    assert _run()["in_sync"] is False
    ec2.revoke_security_group_ingress(GroupId=ids["sg"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    assert _run()["in_sync"] is True  # back as it was: in sync again

    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=ids["app"])
    assert _run()["in_sync"] is False
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=ids["app"])
    assert _run()["in_sync"] is True

    iam = boto3.client("iam", region_name="us-east-1")
    iam.put_role_policy(RoleName=ROLE, PolicyName="logs", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "logs:*", "Resource": "*"}]}))
    assert _run()["in_sync"] is False


def test_new_inputs_or_an_old_record_mean_a_full_run(aws_offline, monkeypatch):
    _stack()
    _run(record=True)
    assert _run(inputs_digest="inputs-2")["in_sync"] is False
    now = stack_fingerprint.time.time()
    monkeypatch.setattr(stack_fingerprint.time, "time", lambda: now + 7200)
    old = _run(max_age=3600)
    assert old["in_sync"] is False and "max_age is 3600 s" in old["reason"]
    assert _run(max_age=0)["in_sync"] is True  # 0: a record never gets old
    renewed = _run(max_age=3600, record=True)  # the full run that followed renews the time only
    assert renewed["changed"] is False and renewed["recorded"]["time"] == int(now + 7200)
    assert _run(max_age=3600)["in_sync"] is True


def test_check_mode_records_nothing_and_a_stack_without_vpcs_is_not_in_sync(aws_offline):
    assert _run()["reason"] == "stack s has no security VPC yet"
    assert _run(record=True, _ansible_check_mode=True)["changed"] is True  # a real run would create the stack first
    failed = run_module(stack_fingerprint.main, dict(region="us-east-1", stack="s", inputs_digest="i", record=True,
                                                     client_vpn=False))
    assert failed["failed"] is True and failed["msg"].startswith("record: stack s has no VPC")
    ec2, ids = _stack()
    planned = _run(record=True, _ansible_check_mode=True)
    assert planned["changed"] is True
    tags = {t["Key"] for t in ec2.describe_vpcs(VpcIds=[ids["security"]])["Vpcs"][0]["Tags"]}
    assert "devsecops:converged" not in tags


def test_volatile_fields_and_list_order_do_not_count():
    """What AWS changes by itself (states, free addresses, delivery status, last use) and the order
    of lists leave the fingerprint alone; a managed field does not."""
    a = {"subnets": [{"SubnetId": "subnet-1", "AvailableIpAddressCount": 250, "MapPublicIpOnLaunch": False},
                     {"SubnetId": "subnet-2", "AvailableIpAddressCount": 251, "MapPublicIpOnLaunch": False}],
         "client_vpn_endpoints": [{"ClientVpnEndpointId": "cvpn-1", "Status": {"Code": "pending-associate"},
                                   "SplitTunnel": True, "Tags": []}],
         "iam_roles": [{"RoleName": "r", "RoleLastUsed": {"LastUsedDate": "2026-11-30"}}]}
    b = {"subnets": [{"SubnetId": "subnet-2", "AvailableIpAddressCount": 240, "MapPublicIpOnLaunch": False},
                     {"SubnetId": "subnet-1", "AvailableIpAddressCount": 200, "MapPublicIpOnLaunch": False}],
         "client_vpn_endpoints": [{"ClientVpnEndpointId": "cvpn-1", "Status": {"Code": "available"},
                                   "SplitTunnel": True}],
         "iam_roles": [{"RoleName": "r"}]}
    assert stack_fingerprint.digest("i", a) == stack_fingerprint.digest("i", b)
    b["client_vpn_endpoints"][0]["SplitTunnel"] = False
    assert stack_fingerprint.digest("i", a) != stack_fingerprint.digest("i", b)
    b["client_vpn_endpoints"][0]["SplitTunnel"] = True
    b["subnets"][0]["MapPublicIpOnLaunch"] = True
    assert stack_fingerprint.digest("i", a) != stack_fingerprint.digest("i", b)
