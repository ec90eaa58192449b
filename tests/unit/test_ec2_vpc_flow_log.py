import boto3

from modrun import run_module
from ansible_collections.devsecops.eks_platform.plugins.modules import ec2_vpc_flow_log


def _args(vpc_id, **kw):
    args = dict(region="us-east-1", resource_id=vpc_id, log_group_name="/t/flow", tags={"Name": "fl"},
                deliver_logs_permission_arn="arn:aws:iam::123456789012:role/flow", wait=False)
    args.update(kw)
    return args


def test_create_noop_tag_delete_and_check_mode(aws_offline):
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]

    checked = run_module(ec2_vpc_flow_log.main, dict(_args(vpc_id), _ansible_check_mode=True))
    assert checked["changed"] is True
    assert ec2.describe_flow_logs()["FlowLogs"] == []  # check mode created nothing

    created = run_module(ec2_vpc_flow_log.main, _args(vpc_id))
    assert created["changed"] is True
    logs = ec2.describe_flow_logs()["FlowLogs"]
    assert len(logs) == 1 and logs[0]["ResourceId"] == vpc_id and logs[0]["LogGroupName"] == "/t/flow"
    assert created["flow_log"]["flow_log_id"] == logs[0]["FlowLogId"]
    assert created["diff"]["before"] == {}

    again = run_module(ec2_vpc_flow_log.main, _args(vpc_id))
    assert again["changed"] is False
    assert len(ec2.describe_flow_logs()["FlowLogs"]) == 1

    retagged = run_module(ec2_vpc_flow_log.main, _args(vpc_id, tags={"Name": "fl", "team": "sec"}))
    assert retagged["changed"] is True and retagged["flow_log"]["tags"]["team"] == "sec"

    other_group = run_module(ec2_vpc_flow_log.main, _args(vpc_id, log_group_name="/t/other"))
    assert other_group["changed"] is True
    assert len(ec2.describe_flow_logs()["FlowLogs"]) == 2  # a different destination is another flow log

    deleted = run_module(ec2_vpc_flow_log.main, _args(vpc_id, state="absent"))
    assert deleted["changed"] is True and deleted["flow_log"] == {}
    assert [f["LogGroupName"] for f in ec2.describe_flow_logs()["FlowLogs"]] == ["/t/other"]
    assert run_module(ec2_vpc_flow_log.main, _args(vpc_id, state="absent"))["changed"] is False


def test_missing_log_group_is_refused(aws_offline):
    result = run_module(ec2_vpc_flow_log.main, dict(region="us-east-1", resource_id="vpc-1"))
    assert result["failed"] and "log_group_name" in result["msg"]
