"""ARNs follow the account's partition: provisioned in AWS GovCloud (us-gov-west-1, partition
aws-us-gov; the emulator answers there with arn:aws-us-gov ARNs), every ARN the roles write -
the flow-log role's trust condition and policy, the hosts' instance role, the endpoint policies -
is in arn:aws-us-gov, never a hand-written arn:aws. Then the stack is torn down."""
from __future__ import annotations

import json


from labrun import PORT, lab_client

STACK = "eksplat-lab"
REGION = "us-gov-west-1"
# The emulator has no Amazon Linux 2023 image in GovCloud; an x86_64 Ubuntu image it has will do.
AMI = {"owner": "099720109477", "name": "ubuntu/images/hvm-ssd/ubuntu-trusty-14.04-amd64-server-*"}


def _client(service):
    return lab_client(service, REGION)


def test_every_arn_is_in_the_accounts_partition(playbook, lab_aws):
    extra = {"eks_platform_region": REGION, "eks_platform_az_count": 1}
    for role in ("bastion", "jump_host", "egress_proxy"):
        extra.update({f"{role}_ami_owner": AMI["owner"], f"{role}_ami_name": AMI["name"]})
    try:
        run = playbook("provision.yml", "-e", json.dumps(extra))
        assert run.rc == 0, run.out[-3000:]
        account = _client("sts").get_caller_identity()["Account"]
        iam = _client("iam")
        flow = iam.get_role(RoleName=f"{STACK}-{REGION}-flow-logs")["Role"]
        cond = flow["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]
        assert cond["ArnLike"]["aws:SourceArn"] == f"arn:aws-us-gov:ec2:{REGION}:{account}:vpc-flow-log/*"
        policy = iam.get_role_policy(RoleName=flow["RoleName"], PolicyName="flow-logs-to-cloudwatch")["PolicyDocument"]
        assert policy["Statement"][0]["Resource"].startswith(f"arn:aws-us-gov:logs:{REGION}:{account}:log-group:")
        for host_role in ("bastion", "jump-host", "egress-proxy"):
            doc = iam.get_role_policy(RoleName=f"{STACK}-{REGION}-{host_role}",
                                      PolicyName="host-logs-and-metrics")["PolicyDocument"]
            own = {st["Sid"]: st for st in doc["Statement"]}["OwnLogGroups"]["Resource"]
            assert own == [f"arn:aws-us-gov:logs:{REGION}:{account}:log-group:/eks-platform/{STACK}/hosts/*"], host_role
        endpoints = _client("ec2").describe_vpc_endpoints(
            Filters=[{"Name": "tag:devsecops:stack", "Values": [STACK]}])["VpcEndpoints"]
        s3 = [json.loads(e["PolicyDocument"]) for e in endpoints if e["ServiceName"].endswith(".s3")][0]
        assert s3["Statement"][1]["Resource"] == f"arn:aws-us-gov:s3:::prod-{REGION}-starport-layer-bucket/*"
        assert "arn:aws:" not in json.dumps([json.loads(e["PolicyDocument"]) for e in endpoints])
    finally:
        down = playbook("teardown.yml", "-e", json.dumps({"eks_platform_region": REGION, "eks_platform_az_count": 1,
                                                          "teardown_confirm": STACK}))
        assert down.rc == 0, down.out[-3000:]
    left = {kind: ids for kind, ids in lab_aws.stack_resources(STACK, REGION, PORT).items() if ids}
    assert left == {}
