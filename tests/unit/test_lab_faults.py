"""The lab emulator's real-AWS faults (eks_lab.faults), on moto in-process with a fake clock."""
from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from eks_lab import faults

REGION = "us-east-1"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "vpc-flow-logs.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


@pytest.fixture
def aws(monkeypatch):
    now = {"t": 1000.0}
    monkeypatch.setattr(faults, "clock", lambda: now["t"])
    faults.apply(faults.Settings(seconds=8))
    monkeypatch.setattr(faults, "SETTINGS", faults.Settings(seconds=8))
    with mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        iam = boto3.client("iam", region_name=REGION)
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]

        def advance(seconds):
            now["t"] += seconds

        yield ec2, iam, vpc, subnet, advance


def _code(exc_info):
    return exc_info.value.response["Error"]["Code"], exc_info.value.response["Error"]["Message"]


def test_settings_from_env():
    assert faults.settings_from_env({}).kinds == frozenset(faults.KINDS)
    assert faults.settings_from_env({"EKS_LAB_FAULTS": "off"}).kinds == frozenset()
    s = faults.settings_from_env({"EKS_LAB_FAULTS": "iam, eni", "EKS_LAB_FAULT_SECONDS": "3"})
    assert s.kinds == {"iam", "eni"} and s.seconds == 3.0
    with pytest.raises(ValueError, match="unknown fault.*dns"):
        faults.settings_from_env({"EKS_LAB_FAULTS": "iam,dns"})


def test_flow_logs_cannot_assume_a_new_role_until_it_propagates(aws):
    ec2, iam, vpc, _subnet, advance = aws
    arn = iam.create_role(RoleName="fl", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    args = dict(ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL", LogGroupName="g",
                DeliverLogsPermissionArn=arn)
    with pytest.raises(ClientError) as err:
        ec2.create_flow_logs(**args)
    assert _code(err) == ("InvalidParameter", f"Unable to assume given IAM role: {arn}")
    advance(8)
    assert ec2.create_flow_logs(**args)["FlowLogIds"]


def test_run_instances_rejects_a_new_instance_profile_until_it_propagates(aws):
    ec2, iam, _vpc, subnet, advance = aws
    iam.create_role(RoleName="host", AssumeRolePolicyDocument=TRUST)
    iam.create_instance_profile(InstanceProfileName="host")
    advance(8)
    # adding the role makes the profile new again, as IAM propagates the change
    iam.add_role_to_instance_profile(InstanceProfileName="host", RoleName="host")
    args = dict(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=subnet, IamInstanceProfile={"Name": "host"})
    with pytest.raises(ClientError) as err:
        ec2.run_instances(**args)
    assert _code(err) == ("InvalidParameterValue", "Value (host) for parameter iamInstanceProfile.name is invalid. "
                                                   "Invalid IAM Instance Profile name")
    advance(8)
    assert ec2.run_instances(**args)["Instances"]


def test_peering_stays_initiating_and_cannot_be_accepted_yet(aws):
    ec2, _iam, vpc, _subnet, advance = aws
    peer = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    pcx = ec2.create_vpc_peering_connection(VpcId=vpc, PeerVpcId=peer)["VpcPeeringConnection"]
    desc = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx["VpcPeeringConnectionId"]])
    assert desc["VpcPeeringConnections"][0]["Status"]["Code"] == "initiating-request"
    with pytest.raises(ClientError) as err:
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx["VpcPeeringConnectionId"])
    assert _code(err)[0] == "InvalidStateTransition"
    advance(8)
    desc = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx["VpcPeeringConnectionId"]])
    assert desc["VpcPeeringConnections"][0]["Status"]["Code"] == "pending-acceptance"
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx["VpcPeeringConnectionId"])


def test_endpoint_enis_linger_and_block_subnet_and_group_deletion(aws):
    ec2, _iam, vpc, subnet, advance = aws
    sg = ec2.create_security_group(GroupName="ep", Description="ep", VpcId=vpc)["GroupId"]
    vpce = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=f"com.amazonaws.{REGION}.logs", VpcEndpointType="Interface",
                                   SubnetIds=[subnet], SecurityGroupIds=[sg])["VpcEndpoint"]
    ec2.delete_vpc_endpoints(VpcEndpointIds=[vpce["VpcEndpointId"]])
    enis = ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["NetworkInterfaces"]
    assert [e["NetworkInterfaceId"] for e in enis] == vpce["NetworkInterfaceIds"]
    with pytest.raises(ClientError) as err:
        ec2.delete_security_group(GroupId=sg)
    assert _code(err)[0] == "DependencyViolation"
    with pytest.raises(ClientError) as err:
        ec2.delete_subnet(SubnetId=subnet)
    assert _code(err) == ("DependencyViolation", f"The subnet '{subnet}' has dependencies and cannot be deleted.")
    advance(8)
    assert ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["NetworkInterfaces"] == []
    ec2.delete_security_group(GroupId=sg)
    ec2.delete_subnet(SubnetId=subnet)


def test_faults_off_is_plain_moto(aws, monkeypatch):
    ec2, iam, vpc, subnet, _advance = aws
    monkeypatch.setattr(faults, "SETTINGS", faults.Settings(kinds=frozenset()))
    arn = iam.create_role(RoleName="fl2", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    assert ec2.create_flow_logs(ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL", LogGroupName="g",
                                DeliverLogsPermissionArn=arn)["FlowLogIds"]
    peer = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    pcx = ec2.create_vpc_peering_connection(VpcId=vpc, PeerVpcId=peer)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    desc = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx])["VpcPeeringConnections"]
    assert desc[0]["Status"]["Code"] == "pending-acceptance"
    vpce = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=f"com.amazonaws.{REGION}.logs", VpcEndpointType="Interface",
                                   SubnetIds=[subnet])["VpcEndpoint"]
    ec2.delete_vpc_endpoints(VpcEndpointIds=[vpce["VpcEndpointId"]])
    ec2.delete_subnet(SubnetId=subnet)
