"""cloudwatch_dashboard: against moto in-process (create, no change when only key order differs, update,
check mode, delete), and botocore's Stubber for the errors CloudWatch really answers."""
import json

import boto3
import pytest

from modrun import run_module, stubbed_runner
from ansible_collections.devsecops.eks_platform.plugins.modules import cloudwatch_dashboard as mod

WIDGET = {"type": "metric", "x": 0, "y": 0, "width": 12, "height": 6,
          "properties": {"title": "NAT errors", "region": "us-east-1", "stat": "Sum", "period": 300,
                         "metrics": [["AWS/NATGateway", "ErrorPortAllocation", "NatGatewayId", "nat-0123"]]}}
BODY = {"widgets": [WIDGET]}


def args(**kw):
    return dict(dict(region="us-east-1", name="eksplat-us-east-1", body=BODY), **kw)


def test_create_no_change_update_check_mode_and_delete(aws_offline):
    cw = boto3.client("cloudwatch", region_name="us-east-1")
    checked = run_module(mod.main, dict(args(), _ansible_check_mode=True))
    assert checked["changed"] is True and cw.list_dashboards()["DashboardEntries"] == []

    created = run_module(mod.main, args())
    assert created["changed"] is True and created["diff"] == {"before": {}, "after": BODY}
    assert json.loads(cw.get_dashboard(DashboardName="eksplat-us-east-1")["DashboardBody"]) == BODY

    # the same body with its keys in another order is no change
    reordered = {"widgets": [dict(reversed(list(WIDGET.items())))]}
    assert run_module(mod.main, args(body=reordered))["changed"] is False

    wider = {"widgets": [dict(WIDGET, width=24)]}
    updated = run_module(mod.main, args(body=wider))
    assert updated["changed"] is True and updated["diff"]["before"] == BODY and updated["diff"]["after"] == wider
    assert json.loads(cw.get_dashboard(DashboardName="eksplat-us-east-1")["DashboardBody"]) == wider

    assert run_module(mod.main, dict(args(state="absent"), _ansible_check_mode=True))["changed"] is True
    assert len(cw.list_dashboards()["DashboardEntries"]) == 1
    deleted = run_module(mod.main, args(state="absent"))
    assert deleted["changed"] is True and deleted["dashboard"] == {}
    assert cw.list_dashboards()["DashboardEntries"] == []
    assert run_module(mod.main, args(state="absent"))["changed"] is False


def test_a_bad_name_fails_before_any_call(aws_offline):
    result = run_module(mod.main, args(name="eks platform/us-east-1"))
    assert result["failed"] is True and result["msg"].startswith("name: ")


@pytest.fixture
def stubbed(monkeypatch):
    return stubbed_runner(monkeypatch, mod.main, args())


def test_a_refused_body_fails_with_cloudwatchs_messages(stubbed):
    def script(s):
        s.add_client_error("get_dashboard", "ResourceNotFound", "Dashboard does not exist", 404)
        s.add_client_error("put_dashboard", "InvalidParameterInput", "The dashboard body is invalid", 400,
                           modeled_fields={"message": "The dashboard body is invalid", "dashboardValidationMessages": [
                               {"DataPath": "/widgets/0/properties/metrics/0", "Message": "Should NOT have more than 2 items"}]})

    result = stubbed(script)
    assert result["failed"] is True and result["msg"].startswith("body: ")
    assert "/widgets/0/properties/metrics/0 Should NOT have more than 2 items" in result["msg"]


def test_an_internal_error_and_a_conflict_are_retried(stubbed):
    def script(s):
        s.add_client_error("get_dashboard", "InternalServiceError", "Internal failure", 500)
        s.add_client_error("get_dashboard", "ResourceNotFound", "Dashboard does not exist", 404)
        s.add_client_error("put_dashboard", "ConflictException", "Concurrent modification", 409)
        warning = {"DataPath": "/widgets/0", "Message": "Unknown metric"}
        s.add_response("put_dashboard", {"DashboardValidationMessages": [warning]},
                       {"DashboardName": "eksplat-us-east-1", "DashboardBody": json.dumps(BODY, sort_keys=True)})
        s.add_response("get_dashboard", {"DashboardName": "eksplat-us-east-1", "DashboardBody": json.dumps(BODY),
                                         "DashboardArn": "arn:aws-us-gov:cloudwatch::123456789012:dashboard/eksplat-us-east-1"})

    result = stubbed(script)
    assert result["changed"] is True and result["dashboard"]["arn"].startswith("arn:aws-us-gov:")
    # accepted with a warning, passed on (ansible-core 2.19+ returns warnings as structured events)
    assert "/widgets/0 Unknown metric" in json.dumps(result.get("warnings", []))
