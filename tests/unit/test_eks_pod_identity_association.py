"""moto has no EKS Pod Identity: these tests pin eks_pod_identity_association's conversation with EKS
with botocore's Stubber (every call, its parameters and order are asserted against botocore's model)."""
import pytest

from modrun import stubbed_runner
from ansible_collections.devsecops.eks_platform.plugins.modules import eks_pod_identity_association as mod

CLUSTER = "eksplat"
ROLE = "arn:aws:iam::123456789012:role/eksplat-cluster-autoscaler"
ARGS = dict(region="us-east-1", cluster_name=CLUSTER, namespace="kube-system", service_account="cluster-autoscaler",
            role_arn=ROLE)
LIST = dict(clusterName=CLUSTER, namespace="kube-system", serviceAccount="cluster-autoscaler")


@pytest.fixture
def stubbed(monkeypatch):
    return stubbed_runner(monkeypatch, mod.main, ARGS)


def assoc(role=ROLE, owner=None, session_tags_off=False):
    a = {"clusterName": CLUSTER, "namespace": "kube-system", "serviceAccount": "cluster-autoscaler", "roleArn": role,
         "associationArn": "arn:aws:eks:us-east-1:123456789012:podidentityassociation/eksplat/a-1",
         "associationId": "a-1", "disableSessionTags": session_tags_off}
    if owner:
        a["ownerArn"] = owner
    return {"association": a}


def existing(s, **kw):
    s.add_response("list_pod_identity_associations", {"associations": [
        {"clusterName": CLUSTER, "namespace": "kube-system", "serviceAccount": "cluster-autoscaler",
         "associationId": "a-1", "associationArn": "x"}]}, LIST)
    s.add_response("describe_pod_identity_association", assoc(**kw), {"clusterName": CLUSTER, "associationId": "a-1"})


def test_creates_then_leaves_an_equal_one_alone(stubbed):
    def create(s):
        s.add_response("list_pod_identity_associations", {"associations": []}, LIST)
        s.add_response("create_pod_identity_association", assoc(), dict(LIST, roleArn=ROLE, disableSessionTags=False))

    result = stubbed(create)
    assert result["changed"] is True and result["association"]["association_id"] == "a-1"
    assert stubbed(existing)["changed"] is False


def test_a_new_role_is_set_in_place(stubbed):
    def script(s):
        existing(s, role="arn:aws:iam::123456789012:role/old")
        s.add_response("update_pod_identity_association", assoc(), dict(
            clusterName=CLUSTER, associationId="a-1", roleArn=ROLE, disableSessionTags=False))

    result = stubbed(script)
    assert result["changed"] is True and result["diff"]["before"]["role_arn"].endswith("/old")


def test_an_add_on_owned_association_is_refused_naming_the_add_on(stubbed):
    owner = "arn:aws:eks:us-east-1:123456789012:addon/eksplat/aws-ebs-csi-driver/1"
    result = stubbed(lambda s: existing(s, owner=owner, role="arn:aws:iam::123456789012:role/other"))
    assert result["failed"] is True and owner in result["msg"] and "through that add-on" in result["msg"]


def test_check_mode_and_delete(stubbed):
    def script(s):
        existing(s, role="arn:aws:iam::123456789012:role/old")

    assert stubbed(script, _ansible_check_mode=True)["changed"] is True

    def delete(s):
        existing(s)
        s.add_response("delete_pod_identity_association", assoc(), {"clusterName": CLUSTER, "associationId": "a-1"})

    result = stubbed(delete, state="absent")
    assert result["changed"] is True and result["association"] == {}


def test_a_role_is_required_to_create(stubbed):
    result = stubbed(lambda s: None, role_arn=None)
    assert result["failed"] is True and result["msg"] == "role_arn: required with state=present"
