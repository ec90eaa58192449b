import time
import types

from botocore.stub import Stubber

from modrun import run_module, stub_aws_clients
from ansible_collections.devsecops.eks_platform.plugins.modules import ec2_managed_prefix_list_info as mod

S3 = "com.amazonaws.us-east-1.s3"


def test_finds_the_aws_managed_s3_list_by_name(aws_offline):
    result = run_module(mod.main, dict(region="us-east-1", names=[S3], require_all=True))
    assert result["changed"] is False
    assert [pl["prefix_list_name"] for pl in result["prefix_lists"]] == [S3]
    assert result["by_name"][S3].startswith("pl-")
    # check mode reads the same (it is read-only)
    checked = run_module(mod.main, dict(region="us-east-1", names=[S3], _ansible_check_mode=True))
    assert checked["by_name"] == result["by_name"]


def test_a_missing_name_fails_only_when_required(aws_offline):
    names = [S3, "com.amazonaws.us-east-1.nosuch"]
    loose = run_module(mod.main, dict(region="us-east-1", names=names))
    assert loose.get("failed") is not True and list(loose["by_name"]) == [S3]
    strict = run_module(mod.main, dict(region="us-east-1", names=names, require_all=True))
    assert strict["failed"] is True and strict["msg"] == "No managed prefix list named com.amazonaws.us-east-1.nosuch in this region"


def test_throttling_is_retried_and_pages_are_joined(monkeypatch):
    page = {"PrefixListId": "pl-1", "PrefixListName": "b", "AddressFamily": "IPv4", "State": "create-complete",
            "OwnerId": "AWS", "Tags": [{"Key": "k", "Value": "v"}]}

    def make(client):
        s = Stubber(client)
        s.add_client_error("describe_managed_prefix_lists", service_error_code="RequestLimitExceeded", http_status_code=503)
        s.add_response("describe_managed_prefix_lists", {"PrefixLists": [page], "NextToken": "t"})
        s.add_response("describe_managed_prefix_lists", {"PrefixLists": [dict(page, PrefixListId="pl-2", PrefixListName="a", Tags=[])]})
        s.activate()
        return s

    holder = stub_aws_clients(monkeypatch, types.SimpleNamespace(time=time), make, {})
    result = run_module(mod.main, dict(region="us-east-1"))
    holder["stubber"].assert_no_pending_responses()
    assert [(pl["prefix_list_name"], pl["tags"]) for pl in result["prefix_lists"]] == [("a", {}), ("b", {"k": "v"})]
    assert result["by_name"] == {"a": "pl-2", "b": "pl-1"}
