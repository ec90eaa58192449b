"""The Kubernetes manifests the eks role writes, validated offline against Kubernetes' OpenAPI schemas
(kubernetes-validate, strict: an unknown field fails) for the cluster's version - no API server can run
here. Rendered with Ansible's own templating, as the role's template task renders them."""
from __future__ import annotations

import pathlib

import kubernetes_validate
import pytest
import yaml

ROLE = pathlib.Path(__file__).resolve().parents[2] / "roles" / "eks"
VARS = dict(ansible_managed="Ansible managed", eks_cluster_name="eksplat-us-east-1", eks_region="us-east-1",
            __eks_name="eksplat-us-east-1",
            __eks_autoscaler_image="123456789012.dkr.ecr.us-east-1.amazonaws.com/cluster-autoscaler:v1.31.0")


def render(name: str, **extra) -> list[dict]:
    from ansible.template import Templar
    from ansible.parsing.dataloader import DataLoader

    try:
        from ansible.template import trust_as_template  # ansible-core >= 2.19
        text = trust_as_template((ROLE / "templates" / name).read_text())
    except ImportError:
        text = (ROLE / "templates" / name).read_text()
    rendered = Templar(loader=DataLoader(), variables=dict(VARS, **extra)).template(text)
    return [d for d in yaml.safe_load_all(rendered) if d]


@pytest.mark.parametrize("version", ["1.31", "1.33"])
def test_cluster_autoscaler_manifests_are_valid_kubernetes(version):
    docs = render("cluster-autoscaler.yaml.j2")
    assert [d["kind"] for d in docs] == ["ServiceAccount", "ClusterRole", "Role", "ClusterRoleBinding", "RoleBinding",
                                         "Deployment"]
    for doc in docs:
        kubernetes_validate.validate(doc, version, strict=True)


def test_a_wrong_field_is_caught():
    """The validation can fail: a misspelt field of the Deployment is an error."""
    deployment = render("cluster-autoscaler.yaml.j2")[-1]
    deployment["spec"]["template"]["spec"]["serviceAccount_name"] = "x"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, "1.31", strict=True)


def test_cluster_autoscaler_finds_this_clusters_group_and_runs_locked_down():
    deployment = render("cluster-autoscaler.yaml.j2")[-1]
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert ("--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,"
            "k8s.io/cluster-autoscaler/eksplat-us-east-1") in container["command"]
    assert pod["serviceAccountName"] == "cluster-autoscaler" and pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"] == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                            "capabilities": {"drop": ["ALL"]}}
    assert container["image"].startswith("123456789012.dkr.ecr.us-east-1.amazonaws.com/")
