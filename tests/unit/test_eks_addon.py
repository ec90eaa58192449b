"""moto has no EKS add-ons or Pod Identity: these tests pin eks_addon's conversation with EKS with
botocore's Stubber (every call, its parameters and order are asserted against botocore's model)."""
import json

import pytest

from modrun import stubbed_runner
from ansible_collections.devsecops.eks_platform.plugins.modules import eks_addon as mod

CLUSTER = "eksplat"
ARN = "arn:aws:eks:us-east-1:123456789012:addon/eksplat/aws-ebs-csi-driver/0123"
ROLE = "arn:aws:iam::123456789012:role/eksplat-ebs-csi"
ASSOC = "arn:aws:eks:us-east-1:123456789012:podidentityassociation/eksplat/a-1"
ARGS = dict(region="us-east-1", cluster_name=CLUSTER, name="aws-ebs-csi-driver", version="v1.37.0-eksbuild.1",
            configuration_values={"controller": {"replicaCount": 2}, "sidecars": {"snapshotter": {"forceEnable": False}}},
            pod_identity_associations=[{"service_account": "ebs-csi-controller-sa", "role_arn": ROLE}],
            tags={"devsecops:stack": CLUSTER})
KEY = dict(clusterName=CLUSTER, addonName="aws-ebs-csi-driver")


def addon(status="ACTIVE", version="v1.37.0-eksbuild.1", config='{"controller": {"replicaCount": 2}, '
          '"sidecars": {"snapshotter": {"forceEnable": false}}}', assoc=True, **over):
    a = {"addonName": "aws-ebs-csi-driver", "clusterName": CLUSTER, "status": status, "addonVersion": version,
         "addonArn": ARN, "configurationValues": config, "tags": {"devsecops:stack": CLUSTER},
         "podIdentityAssociations": [ASSOC] if assoc else []}
    a.update(over)
    return {"addon": a}


@pytest.fixture
def stubbed(monkeypatch):
    return stubbed_runner(monkeypatch, mod.main, ARGS)


def owned_associations(s):
    s.add_response("list_pod_identity_associations", {"associations": [
        {"clusterName": CLUSTER, "namespace": "kube-system", "serviceAccount": "ebs-csi-controller-sa",
         "associationArn": ASSOC, "associationId": "a-1", "ownerArn": ARN},
        {"clusterName": CLUSTER, "namespace": "apps", "serviceAccount": "web", "associationArn": "x",
         "associationId": "a-2"}]}, {"clusterName": CLUSTER})  # not the add-on's: never described
    s.add_response("describe_pod_identity_association", {"association": {
        "clusterName": CLUSTER, "namespace": "kube-system", "serviceAccount": "ebs-csi-controller-sa",
        "roleArn": ROLE, "associationArn": ASSOC, "associationId": "a-1", "ownerArn": ARN}},
        {"clusterName": CLUSTER, "associationId": "a-1"})


def test_creates_waits_and_reads_back(stubbed):
    def script(s):
        s.add_client_error("describe_addon", "ResourceNotFoundException", expected_params=KEY)
        s.add_response("create_addon", addon(status="CREATING"), dict(
            KEY, addonVersion="v1.37.0-eksbuild.1", resolveConflicts="OVERWRITE",
            configurationValues=json.dumps(ARGS["configuration_values"], sort_keys=True),
            podIdentityAssociations=[{"serviceAccount": "ebs-csi-controller-sa", "roleArn": ROLE}],
            tags={"devsecops:stack": CLUSTER}))
        s.add_response("describe_addon", addon(), KEY)  # the addon_active waiter
        s.add_response("describe_addon", addon(), KEY)  # read back
        owned_associations(s)

    result = stubbed(script)
    assert result["changed"] is True, result
    assert result["addon"]["pod_identity_associations"] == [{"service_account": "ebs-csi-controller-sa", "role_arn": ROLE}]
    assert result["diff"]["before"] == {} and result["addon"]["status"] == "ACTIVE"


def test_a_pod_identity_role_not_yet_propagated_is_retried_and_another_error_is_not(stubbed):
    def script(s, then="create"):
        s.add_client_error("describe_addon", "ResourceNotFoundException", expected_params=KEY)
        s.add_client_error("create_addon", "InvalidParameterException", "The role with name eksplat-ebs cannot be found.")
        if then == "create":
            s.add_response("create_addon", addon(status="CREATING"))
            s.add_response("describe_addon", addon(), KEY)
            s.add_response("describe_addon", addon(), KEY)
            owned_associations(s)
        else:
            s.add_client_error("create_addon", "InvalidParameterException", "Addon version v1.37.0 is not supported")

    assert stubbed(script)["changed"] is True
    failed = stubbed(lambda s: script(s, then="fail"))
    assert failed["failed"] is True and "not supported" in failed["msg"]


def test_an_equal_add_on_is_left_alone_whatever_the_configs_key_order_or_spacing(stubbed):
    reordered = '{"sidecars":{"snapshotter":{"forceEnable":false}},\n "controller":{"replicaCount":2}}'

    def script(s):
        s.add_response("describe_addon", addon(config=reordered), KEY)
        owned_associations(s)

    result = stubbed(script)
    assert result["changed"] is False, result["diff"]


def test_yaml_set_by_another_tool_is_replaced_by_json_once(stubbed):
    yaml_config = "controller:\n  replicaCount: 2\n"

    def script(s):
        s.add_response("describe_addon", addon(config=yaml_config), KEY)
        owned_associations(s)
        s.add_response("update_addon", {"update": {"id": "u-1"}}, dict(
            KEY, resolveConflicts="OVERWRITE", configurationValues=json.dumps(ARGS["configuration_values"], sort_keys=True)))
        s.add_response("describe_addon", addon(), KEY)  # read back (no wait asked)
        owned_associations(s)

    result = stubbed(script, wait=False)
    assert result.get("changed") is True, result


def test_only_what_differs_is_updated_and_tags_are_purged(stubbed):
    def script(s):
        s.add_response("describe_addon", addon(version="v1.36.0-eksbuild.1", tags={"devsecops:stack": CLUSTER, "old": "x"}), KEY)
        owned_associations(s)
        s.add_client_error("update_addon", "ResourceInUseException", "Addon is in UPDATING state")  # busy: retried
        s.add_response("update_addon", {"update": {"id": "u-1", "status": "InProgress"}},
                       dict(KEY, addonVersion="v1.37.0-eksbuild.1", resolveConflicts="OVERWRITE"))
        s.add_response("describe_addon", addon(), KEY)  # waiter
        s.add_response("untag_resource", {}, {"resourceArn": ARN, "tagKeys": ["old"]})
        s.add_response("describe_addon", addon(), KEY)  # read back
        owned_associations(s)

    result = stubbed(script)
    assert result["changed"] is True
    assert result["diff"]["before"]["version"] == "v1.36.0-eksbuild.1" and result["addon"]["version"] == "v1.37.0-eksbuild.1"


def test_check_mode_reports_without_writing(stubbed):
    def script(s):
        s.add_client_error("describe_addon", "ResourceNotFoundException", expected_params=KEY)

    result = stubbed(script, _ansible_check_mode=True)
    assert result["changed"] is True and result["addon"]["version"] == "v1.37.0-eksbuild.1"


def test_a_failed_add_on_is_named_with_its_health_issues(stubbed):
    def script(s):
        s.add_response("describe_addon", addon(status="CREATE_FAILED", assoc=False, health={"issues": [
            {"code": "AccessDenied", "message": "role cannot be assumed by pods.eks.amazonaws.com"}]}), KEY)

    result = stubbed(script)
    assert result["failed"] is True
    assert "CREATE_FAILED: role cannot be assumed by pods.eks.amazonaws.com" in result["msg"]


def test_delete_waits_until_gone(stubbed):
    def script(s):
        s.add_response("describe_addon", addon(), KEY)
        owned_associations(s)
        s.add_response("delete_addon", addon(status="DELETING"), dict(KEY, preserve=False))
        s.add_client_error("describe_addon", "ResourceNotFoundException", expected_params=KEY)  # waiter: gone

    result = stubbed(script, state="absent")
    assert result["changed"] is True and result["addon"] == {}
