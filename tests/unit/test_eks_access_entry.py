"""moto has no EKS access entries: these tests pin eks_access_entry's conversation with EKS with
botocore's Stubber (every call, its parameters and order are asserted against botocore's model)."""
import pytest

from modrun import stubbed_runner
from ansible_collections.devsecops.eks_platform.plugins.modules import eks_access_entry as mod

CLUSTER = "eksplat"
ROLE = "arn:aws:iam::123456789012:role/eksplat-us-east-1-jump-host"
VIEW = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy"
ARGS = dict(region="us-east-1", cluster_name=CLUSTER, principal_arn=ROLE, access_policies=[{"policy": "AmazonEKSViewPolicy"}])
KEY = dict(clusterName=CLUSTER, principalArn=ROLE)


@pytest.fixture
def stubbed(monkeypatch):
    return stubbed_runner(monkeypatch, mod.main, ARGS)


def entry(principal=ROLE, type_="STANDARD", groups=None):
    return {"accessEntry": {"clusterName": CLUSTER, "principalArn": principal, "type": type_, "kubernetesGroups": groups or [],
                            "username": "arn:aws:sts::123456789012:assumed-role/jump/{{SessionName}}",
                            "accessEntryArn": "arn:aws:eks:us-east-1:123456789012:access-entry/eksplat/role/1"}}


def policies(s, *items, principal=ROLE):
    associated = [{"policyArn": arn, "accessScope": {"type": "namespace", "namespaces": ns} if ns else {"type": "cluster"}}
                  for arn, ns in items]
    s.add_response("list_associated_access_policies",
                   {"clusterName": CLUSTER, "principalArn": principal, "associatedAccessPolicies": associated},
                   {"clusterName": CLUSTER, "principalArn": principal})


def test_creates_the_entry_and_associates_the_policy_by_short_name(stubbed):
    def script(s):
        s.add_client_error("describe_access_entry", "ResourceNotFoundException", expected_params=KEY)
        s.add_response("create_access_entry", entry(), dict(KEY, type="STANDARD"))
        s.add_response("associate_access_policy", {}, dict(KEY, policyArn=VIEW, accessScope={"type": "cluster"}))
        s.add_response("describe_access_entry", entry(), KEY)
        policies(s, (VIEW, []))

    result = stubbed(script)
    assert result["changed"] is True, result
    assert result["access_entry"]["access_policies"] == [{"policy": VIEW, "namespaces": []}]


def test_a_principal_not_yet_propagated_is_retried(stubbed):
    """EKS calls a role created moments ago an invalid principal until IAM has propagated it."""
    def script(s):
        s.add_client_error("describe_access_entry", "ResourceNotFoundException", expected_params=KEY)
        s.add_client_error("create_access_entry", "InvalidParameterException",
                           "The specified principalArn is invalid: invalid principal", expected_params=dict(KEY, type="STANDARD"))
        s.add_response("create_access_entry", entry(), dict(KEY, type="STANDARD"))
        s.add_response("associate_access_policy", {}, dict(KEY, policyArn=VIEW, accessScope={"type": "cluster"}))
        s.add_response("describe_access_entry", entry(), KEY)
        policies(s, (VIEW, []))

    assert stubbed(script)["changed"] is True


def test_an_equal_entry_is_left_alone(stubbed):
    def script(s):
        s.add_response("describe_access_entry", entry(), KEY)
        policies(s, (VIEW, []))

    assert stubbed(script)["changed"] is False


def test_it_grants_exactly_what_is_listed(stubbed):
    """An extra policy is disassociated; a policy whose scope differs is associated again."""
    def script(s):
        s.add_response("describe_access_entry", entry(groups=["ops"]), KEY)
        policies(s, (VIEW, ["apps"]), (ADMIN, []))
        s.add_response("update_access_entry", entry(), dict(KEY, kubernetesGroups=[]))
        s.add_response("disassociate_access_policy", {}, dict(KEY, policyArn=ADMIN))
        s.add_response("associate_access_policy", {}, dict(KEY, policyArn=VIEW, accessScope={"type": "cluster"}))
        s.add_response("describe_access_entry", entry(), KEY)
        policies(s, (VIEW, []))

    result = stubbed(script)
    assert result["changed"] is True
    assert [a["policy"] for a in result["diff"]["before"]["access_policies"]] == [ADMIN, VIEW]


def test_partition_and_namespaces_follow_the_principal(stubbed):
    gov = "arn:aws-us-gov:iam::123456789012:role/app-admins"
    gov_admin = "arn:aws-us-gov:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy"

    def script(s):
        s.add_client_error("describe_access_entry", "ResourceNotFoundException",
                           expected_params=dict(clusterName=CLUSTER, principalArn=gov))

    result = stubbed(script, principal_arn=gov, region="us-gov-west-1", _ansible_check_mode=True,
                     access_policies=[{"policy": "AmazonEKSAdminPolicy", "namespaces": ["apps"]}])
    assert result["changed"] is True
    assert result["access_entry"]["access_policies"] == [{"policy": gov_admin, "namespaces": ["apps"]}]


@pytest.mark.parametrize("args,needle", [
    ({"principal_arn": "arn:aws:iam::123456789012:group/admins"}, "principal_arn: arn:aws:iam::123456789012:group/admins is not"),
    ({"principal_arn": "admins"}, "principal_arn: admins is not an IAM role or user ARN"),
])
def test_a_principal_that_is_no_iam_role_or_user_fails_before_any_call(stubbed, args, needle):
    result = stubbed(lambda s: None, **args)
    assert result["failed"] is True and result["msg"].startswith(needle)


def test_a_type_change_is_refused_naming_type(stubbed):
    def script(s):
        s.add_response("describe_access_entry", entry(type_="EC2_LINUX"), KEY)
        policies(s)

    result = stubbed(script, access_policies=[])
    assert result["failed"] is True and result["msg"].startswith("type: the access entry of")


def test_delete(stubbed):
    def script(s):
        s.add_response("describe_access_entry", entry(), KEY)
        policies(s, (VIEW, []))
        s.add_response("delete_access_entry", {}, KEY)

    result = stubbed(script, state="absent")
    assert result["changed"] is True and result["access_entry"] == {}
