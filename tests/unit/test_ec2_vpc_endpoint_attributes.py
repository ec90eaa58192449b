import json

import boto3
from botocore.stub import Stubber

from modrun import run_module, stub_aws_clients
from ansible_collections.devsecops.eks_platform.plugins.modules import ec2_vpc_endpoint_attributes as mod

POLICY = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
    "Condition": {"StringEquals": {"aws:PrincipalAccount": "123456789012"}}}]}


def _setup():
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24")["Subnet"]["SubnetId"] for i in range(3)]
    groups = [ec2.create_security_group(GroupName=f"g{i}", Description="g", VpcId=vpc)["GroupId"] for i in range(2)]
    vpce = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.logs", VpcEndpointType="Interface",
                                   SubnetIds=subnets[:2], SecurityGroupIds=[groups[1]])["VpcEndpoint"]["VpcEndpointId"]
    return ec2, vpce, subnets, groups


def test_drift_is_repaired_then_a_rerun_changes_nothing(aws_offline):
    ec2, vpce, subnets, groups = _setup()
    args = dict(region="us-east-1", vpc_endpoint_id=vpce, subnet_ids=subnets, security_group_ids=[groups[0]], policy=POLICY)

    checked = run_module(mod.main, dict(args, _ansible_check_mode=True))
    assert checked["changed"] is True
    assert checked["diff"]["before"]["subnet_ids"] == sorted(subnets[:2])
    assert checked["diff"]["after"]["subnet_ids"] == sorted(subnets)
    assert checked["diff"]["after"]["security_group_ids"] == [groups[0]]
    live = ec2.describe_vpc_endpoints(VpcEndpointIds=[vpce])["VpcEndpoints"][0]
    assert sorted(live["SubnetIds"]) == sorted(subnets[:2])  # check mode changed nothing

    fixed = run_module(mod.main, args)
    assert fixed["changed"] is True, fixed
    live = ec2.describe_vpc_endpoints(VpcEndpointIds=[vpce])["VpcEndpoints"][0]
    assert sorted(live["SubnetIds"]) == sorted(subnets)
    assert [g["GroupId"] for g in live["Groups"]] == [groups[0]]
    assert json.loads(live["PolicyDocument"]) == POLICY

    assert run_module(mod.main, args)["changed"] is False
    # the same policy written differently (a single action as a list, keys reordered) is no change
    same = json.loads(json.dumps(POLICY))
    same["Statement"][0]["Action"] = ["*"]
    assert run_module(mod.main, dict(args, policy=json.dumps(same)))["changed"] is False
    # options left out are left alone
    assert run_module(mod.main, dict(region="us-east-1", vpc_endpoint_id=vpce))["changed"] is False


def test_unknown_endpoint_fails_after_a_short_retry(aws_offline, monkeypatch):
    import time

    slept = []
    monkeypatch.setattr(time, "sleep", slept.append)
    result = run_module(mod.main, dict(region="us-east-1", vpc_endpoint_id="vpce-00000000000000000"))
    assert result["failed"] is True and "vpce-00000000000000000" in result["msg"]
    assert result["error"]["code"] == "InvalidVpcEndpointId.NotFound"
    assert 0 < len(slept) <= 5 and sum(slept) <= 40  # eventual consistency, not minutes


def test_a_new_endpoint_not_yet_visible_is_retried(monkeypatch):
    endpoint = {"VpcEndpointId": "vpce-1", "VpcId": "vpc-1", "ServiceName": "s", "State": "available",
                "RouteTableIds": ["rtb-1"], "SubnetIds": [], "Groups": []}

    def make(client):
        s = Stubber(client)
        s.add_client_error("describe_vpc_endpoints", service_error_code="InvalidVpcEndpointId.NotFound", http_status_code=400)
        s.add_response("describe_vpc_endpoints", {"VpcEndpoints": [endpoint]})
        s.add_response("modify_vpc_endpoint", {"Return": True},
                       {"VpcEndpointId": "vpce-1", "AddRouteTableIds": ["rtb-2"], "RemoveRouteTableIds": ["rtb-1"]})
        s.add_response("describe_vpc_endpoints", {"VpcEndpoints": [dict(endpoint, RouteTableIds=["rtb-2"])]})
        s.activate()
        return s

    holder = stub_aws_clients(monkeypatch, mod, make, {})
    result = run_module(mod.main, dict(region="us-east-1", vpc_endpoint_id="vpce-1", route_table_ids=["rtb-2"]))
    holder["stubber"].assert_no_pending_responses()
    assert result["changed"] is True and result["vpc_endpoint"]["route_table_ids"] == ["rtb-2"]
