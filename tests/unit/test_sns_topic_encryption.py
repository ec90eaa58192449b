"""sns_topic_encryption against moto in-process (set, no change, check mode, off) and Stubber (a retried
internal error; a missing topic fails)."""
import boto3
import pytest

from modrun import run_module, stubbed_runner
from ansible_collections.devsecops.eks_platform.plugins.modules import sns_topic_encryption as mod


def test_set_no_change_check_mode_and_off(aws_offline):
    sns = boto3.client("sns", region_name="us-east-1")
    arn = sns.create_topic(Name="oncall")["TopicArn"]
    args = dict(region="us-east-1", topic_arn=arn, kms_key_id="alias/oncall")

    def key():
        return sns.get_topic_attributes(TopicArn=arn)["Attributes"].get("KmsMasterKeyId", "")

    assert run_module(mod.main, dict(args, _ansible_check_mode=True))["changed"] is True and key() == ""
    result = run_module(mod.main, args)
    assert result["changed"] is True and result["diff"] == {"before": {"kms_key_id": ""}, "after": {"kms_key_id": "alias/oncall"}}
    assert key() == "alias/oncall"
    assert run_module(mod.main, args)["changed"] is False
    assert run_module(mod.main, dict(args, kms_key_id=""))["changed"] is True and key() == ""


@pytest.fixture
def stubbed(monkeypatch):
    return stubbed_runner(monkeypatch, mod.main, dict(region="us-east-1", topic_arn="arn:aws:sns:us-east-1:123456789012:oncall",
                                                      kms_key_id="alias/oncall"))


def test_an_internal_error_is_retried_and_a_missing_topic_fails(stubbed):
    arn = "arn:aws:sns:us-east-1:123456789012:oncall"

    def script(s):
        s.add_client_error("get_topic_attributes", "InternalError", "Internal error", 500)
        s.add_response("get_topic_attributes", {"Attributes": {"KmsMasterKeyId": "alias/oncall"}}, {"TopicArn": arn})

    assert stubbed(script)["changed"] is False
    missing = stubbed(lambda s: s.add_client_error("get_topic_attributes", "NotFound", "Topic does not exist", 404))
    assert missing["failed"] is True and arn in missing["msg"]
