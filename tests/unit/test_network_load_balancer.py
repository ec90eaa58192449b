"""network_load_balancer against moto in-process, with the lab's elbv2 fixes (NLB ARNs, the EIP of each
subnet mapping): create with check mode first, rerun changed=0, drift (a listener on port 22, access logs
off, another security group) repaired, a lost EIP and an NLB without security groups refused, delete.
Stubber: a throttled read and an internal failure are retried; a refusal names the load balancer."""
import boto3
import pytest

from modrun import run_module, stubbed_runner
from ansible_collections.devsecops.eks_platform.plugins.modules import network_load_balancer as mod


@pytest.fixture
def world(aws_offline):
    from eks_lab.moto_patched import patch_elbv2

    patch_elbv2()
    ec2, elb = boto3.client("ec2", region_name="us-east-1"), boto3.client("elbv2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.%d.0/24" % i, AvailabilityZone="us-east-1" + az)["Subnet"]["SubnetId"]
               for i, az in enumerate("ab")]
    eips = [ec2.allocate_address(Domain="vpc")["AllocationId"] for dummy in subnets]
    sgs = [ec2.create_security_group(GroupName="lb%d" % i, Description="lb", VpcId=vpc)["GroupId"] for i in range(2)]
    tg = elb.create_target_group(Name="ingress", Protocol="TCP", Port=443, VpcId=vpc, TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    args = dict(region="us-east-1", name="edge", security_groups=[sgs[0]], cross_zone_load_balancing=True,
                subnet_mappings=[dict(subnet_id=s, allocation_id=e) for s, e in zip(subnets, eips)],
                access_logs=dict(bucket="edge-logs", prefix="nlb"), tags={"devsecops:stack": "t"},
                listeners=[dict(port=443, protocol="TCP", target_group_arn=tg)], wait=False)
    return dict(elb=elb, ec2=ec2, args=args, sgs=sgs, tg=tg, subnets=subnets, eips=eips, vpc=vpc)


def test_create_rerun_drift_and_delete(world):
    elb, args = world["elb"], world["args"]
    check = run_module(mod.main, dict(args, _ansible_check_mode=True))
    assert check["changed"] is True and check["changes"] == ["created", "listener 443 created"]
    assert elb.describe_load_balancers()["LoadBalancers"] == []

    created = run_module(mod.main, args)
    lb = created["load_balancer"]
    assert created["changed"] is True and lb["arn_suffix"].startswith("net/edge/")
    assert lb["subnet_mappings"] == sorted(({"subnet_id": s, "allocation_id": e} for s, e in zip(world["subnets"], world["eips"])),
                                           key=lambda m: m["subnet_id"])
    assert lb["security_groups"] == [world["sgs"][0]]
    attrs = {a["Key"]: a["Value"] for a in elb.describe_load_balancer_attributes(LoadBalancerArn=lb["arn"])["Attributes"]}
    assert attrs["access_logs.s3.enabled"] == "true" and attrs["access_logs.s3.bucket"] == "edge-logs"
    assert attrs["load_balancing.cross_zone.enabled"] == "true"
    assert run_module(mod.main, args)["changed"] is False
    assert run_module(mod.main, dict(args, _ansible_check_mode=True))["changed"] is False

    # drift: someone opens SSH, turns the logs off and swaps the security group
    elb.create_listener(LoadBalancerArn=lb["arn"], Protocol="TCP", Port=22,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": world["tg"]}])
    elb.modify_load_balancer_attributes(LoadBalancerArn=lb["arn"], Attributes=[{"Key": "access_logs.s3.enabled", "Value": "false"}])
    elb.set_security_groups(LoadBalancerArn=lb["arn"], SecurityGroups=[world["sgs"][1]])
    check = run_module(mod.main, dict(args, _ansible_check_mode=True, _ansible_diff=True))
    assert check["changes"] == ["security groups", "attributes", "listener 22 deleted"]
    assert "22" in check["diff"]["before"]["listeners"] and "22" not in check["diff"]["after"]["listeners"]
    repaired = run_module(mod.main, args)
    assert repaired["changed"] is True and sorted(repaired["load_balancer"]["listeners"]) == ["443"]
    assert repaired["load_balancer"]["security_groups"] == [world["sgs"][0]]
    assert run_module(mod.main, args)["changed"] is False

    # another EIP for a subnet needs a new load balancer: refused, naming it
    other = world["ec2"].allocate_address(Domain="vpc")["AllocationId"]
    moved = dict(args, subnet_mappings=[dict(args["subnet_mappings"][0], allocation_id=other)] + args["subnet_mappings"][1:])
    refused = run_module(mod.main, moved)
    assert refused["failed"] is True and "edge" in refused["msg"] and "new load balancer" in refused["msg"]

    assert run_module(mod.main, dict(args, state="absent"))["changed"] is True
    assert elb.describe_load_balancers()["LoadBalancers"] == []
    assert run_module(mod.main, dict(args, state="absent"))["changed"] is False


def test_an_nlb_without_security_groups_is_refused(world):
    world["elb"].create_load_balancer(Name="edge", Type="network", Subnets=world["subnets"])
    refused = run_module(mod.main, world["args"])
    assert refused["failed"] is True and "without security groups" in refused["msg"]


def test_tls_needs_certificate_and_policy(world):
    args = dict(world["args"], listeners=[dict(port=443, protocol="TLS", target_group_arn=world["tg"])])
    refused = run_module(mod.main, args)
    assert refused["failed"] is True and refused["msg"].startswith("listeners: the TLS listener on port 443")


@pytest.fixture
def stubbed(monkeypatch):
    return stubbed_runner(monkeypatch, mod.main, dict(region="us-east-1", name="edge", state="absent"))


def test_transient_errors_are_retried_and_a_refusal_names_the_load_balancer(stubbed):
    def script(s):
        s.add_client_error("describe_load_balancers", "Throttling", "Rate exceeded", 400)
        s.add_client_error("describe_load_balancers", "InternalFailure", "internal", 500)
        s.add_client_error("describe_load_balancers", "LoadBalancerNotFound", "not found", 400)

    assert stubbed(script)["changed"] is False
    denied = stubbed(lambda s: s.add_client_error("describe_load_balancers", "AccessDenied", "no", 403))
    assert denied["failed"] is True and "load balancer edge" in denied["msg"]
