"""The EKS modules over the wire against the lab emulator: moto's clusters plus the lab's own
backend for what moto lacks (add-ons, access entries, Pod Identity - lab/src/eks_lab/eks_extra.py).
Create, a second run that changes nothing, check mode that writes nothing, delete."""
from __future__ import annotations

import pytest

from labrun import REPO, changed, lab_client

ROLE = "arn:aws:iam::123456789012:role/eks-lab-test"


def client(service):
    return lab_client(service)


@pytest.fixture(scope="module")
def cluster(lab_aws):
    ec2, eks = client("ec2"), client("eks")
    vpc = ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.99.{i}.0/24")["Subnet"]["SubnetId"] for i in (1, 2)]
    eks.create_cluster(name="eks-lab-test", roleArn=ROLE, resourcesVpcConfig={"subnetIds": subnets})
    yield eks
    eks.delete_cluster(name="eks-lab-test")  # the emulator is shared with the other integration tests
    for subnet in subnets:
        ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_vpc(VpcId=vpc)


def run(playbook, *extra):
    return changed(playbook("eks_modules.yml", *extra, cwd=REPO / "tests" / "integration"))


def test_create_then_nothing_to_change(playbook, cluster):
    assert run(playbook) == 3
    addon = cluster.describe_addon(clusterName="eks-lab-test", addonName="aws-ebs-csi-driver")["addon"]
    assert addon["addonVersion"] == "v1.37.0-eksbuild.1" and len(addon["podIdentityAssociations"]) == 1
    policies = cluster.list_associated_access_policies(clusterName="eks-lab-test", principalArn=ROLE)["associatedAccessPolicies"]
    assert {p["policyArn"].rsplit("/", 1)[1]: p["accessScope"]["type"] for p in policies} == {
        "AmazonEKSViewPolicy": "cluster", "AmazonEKSEditPolicy": "namespace"}
    assert run(playbook) == 0


def test_check_mode_reports_and_writes_nothing(playbook, cluster):
    assert run(playbook, "--check", "-e", "test_addon_version=v1.38.0-eksbuild.1") == 1
    addon = cluster.describe_addon(clusterName="eks-lab-test", addonName="aws-ebs-csi-driver")["addon"]
    assert addon["addonVersion"] == "v1.37.0-eksbuild.1"


def test_drift_is_repaired(playbook, cluster):
    cluster.disassociate_access_policy(clusterName="eks-lab-test", principalArn=ROLE,
                                       policyArn="arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy")
    cluster.update_addon(clusterName="eks-lab-test", addonName="aws-ebs-csi-driver", configurationValues="{}")
    assert run(playbook) == 2
    assert run(playbook) == 0


def test_delete_then_nothing_left(playbook, cluster):
    assert run(playbook, "-e", "test_state=absent") == 3
    assert cluster.list_addons(clusterName="eks-lab-test")["addons"] == []
    assert cluster.list_access_entries(clusterName="eks-lab-test")["accessEntries"] == []
    assert cluster.list_pod_identity_associations(clusterName="eks-lab-test")["associations"] == []
    assert run(playbook, "-e", "test_state=absent") == 0


def test_a_new_role_is_refused_until_iam_propagates(cluster):
    """The lab's `iam` fault reaches EKS too: a role created moments ago is refused as AWS refuses it
    (the eks role's first converge must retry, as the modules do)."""
    iam = client("iam")
    arn = iam.create_role(RoleName="eks-lab-young", AssumeRolePolicyDocument='{"Version": "2012-10-17", "Statement": []}')[
        "Role"]["Arn"]
    try:
        with pytest.raises(cluster.exceptions.InvalidParameterException, match="invalid principal"):
            cluster.create_access_entry(clusterName="eks-lab-test", principalArn=arn)
        with pytest.raises(cluster.exceptions.InvalidParameterException, match="cannot be found"):
            cluster.create_pod_identity_association(clusterName="eks-lab-test", namespace="apps", serviceAccount="web",
                                                    roleArn=arn)
    finally:
        iam.delete_role(RoleName="eks-lab-young")


def test_the_endpoint_and_certificate_authority_look_like_eks(cluster):
    """A kubeconfig can be written from the emulator's cluster: moto's own endpoint ends in a slash and
    its certificate authority is a random string; the lab answers as EKS does."""
    import base64
    import re

    c = cluster.describe_cluster(name="eks-lab-test")["cluster"]
    assert re.fullmatch(r"https://[0-9A-F]{32}\.gr7\.us-east-1\.eks\.amazonaws\.com", c["endpoint"]), c["endpoint"]
    pem = base64.b64decode(c["certificateAuthority"]["data"]).decode()
    assert pem.startswith("-----BEGIN CERTIFICATE-----") and pem.rstrip().endswith("-----END CERTIFICATE-----")
