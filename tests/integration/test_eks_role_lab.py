"""The eks role in provision.yml, on the lab emulator (moto's clusters and node groups, and the lab's
backend for access config, updates, encryption, add-ons, access entries and Pod Identity): the cluster
as built, a rerun that changes nothing, check mode, an upgrade two minors ahead refused, drift
repaired, teardown in dependency order. Its own stack, two AZs; tests run in file order."""
from __future__ import annotations

import pytest
import yaml

from labrun import PORT, REPO, changed, lab_client

STACK = "ekslab"
REGION = "us-east-1"
CLUSTER = f"{STACK}-{REGION}"
ARGS = ("-e", f"eks_platform_stack={STACK}", "-e", "eks_platform_az_count=2", "-e", "eks_platform_eks_enabled=true")
UPGRADED = ARGS + ("-e", "eks_kubernetes_version=1.32")  # from the drift test on
ALL_LOGS = ["api", "audit", "authenticator", "controllerManager", "scheduler"]


def client(service):
    return lab_client(service, REGION)


@pytest.fixture(scope="module")
def built(playbook, lab_aws):
    run = playbook("provision.yml", *ARGS)
    assert run.rc == 0, run.out[-3000:]
    return client("eks").describe_cluster(name=CLUSTER)["cluster"]


def test_the_cluster_is_private_logged_encrypted_and_in_the_app_subnets(built):
    ec2, eks = client("ec2"), client("eks")
    vpc = built["resourcesVpcConfig"]
    assert vpc["endpointPublicAccess"] is False and vpc["endpointPrivateAccess"] is True
    assert built["logging"]["clusterLogging"][0] == {"types": ALL_LOGS, "enabled": True}
    assert built["encryptionConfig"][0]["resources"] == ["secrets"]
    assert ":alias/" not in built["encryptionConfig"][0]["provider"]["keyArn"]
    key = client("kms").describe_key(KeyId=built["encryptionConfig"][0]["provider"]["keyArn"])["KeyMetadata"]["KeyId"]
    assert client("kms").get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is True
    assert built["accessConfig"]["authenticationMode"] == "API"
    subnets = ec2.describe_subnets(SubnetIds=vpc["subnetIds"])["Subnets"]
    tags = [{t["Key"]: t["Value"] for t in s["Tags"]} for s in subnets]
    assert len({s["AvailabilityZone"] for s in subnets}) == 2
    assert all(t["devsecops:vpc"] == "app" and t["devsecops:tier"] == "private" for t in tags)
    # our control-plane group: the API from the jump host and the nodes only
    group = ec2.describe_security_groups(GroupIds=vpc["securityGroupIds"])["SecurityGroups"][0]
    sources = {p["GroupId"] for r in group["IpPermissions"] for p in r["UserIdGroupPairs"]}
    names = {g["GroupId"]: g["GroupName"] for g in ec2.describe_security_groups(GroupIds=list(sources))["SecurityGroups"]}
    assert sorted(names.values()) == [f"{STACK}-eks-nodes", f"{STACK}-jump-host"]
    assert all(r["IpRanges"] == [] for r in group["IpPermissions"])
    # a private cluster's nodes reach these AWS APIs through endpoints, with no route out
    endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc["vpcId"]]}])["VpcEndpoints"]
    services = {e["ServiceName"].split(f"{REGION}.", 1)[1] for e in endpoints}
    assert {"eks", "eks-auth", "elasticloadbalancing", "autoscaling", "monitoring", "ecr.api", "sts"} <= services
    logs = client("logs").describe_log_groups(logGroupNamePrefix=f"/aws/eks/{CLUSTER}/cluster")["logGroups"]
    assert logs[0]["retentionInDays"] == 90


def test_nodes_require_imdsv2_have_no_ssh_key_and_span_the_azs(built):
    eks, ec2 = client("eks"), client("ec2")
    group = eks.describe_nodegroup(clusterName=CLUSTER, nodegroupName="nodes")["nodegroup"]
    assert sorted(group["subnets"]) == sorted(built["resourcesVpcConfig"]["subnetIds"])
    assert "remoteAccess" not in group
    assert group["tags"]["k8s.io/cluster-autoscaler/enabled"] == "true"
    data = ec2.describe_launch_template_versions(LaunchTemplateId=group["launchTemplate"]["id"],
                                                 Versions=[group["launchTemplate"]["version"]])
    data = data["LaunchTemplateVersions"][0]["LaunchTemplateData"]
    assert data["MetadataOptions"]["HttpTokens"] == "required" and data["MetadataOptions"]["HttpPutResponseHopLimit"] == 1
    assert "KeyName" not in data
    root = data["BlockDeviceMappings"][0]["Ebs"]
    assert root["Encrypted"] is True and root["VolumeType"] == "gp3"
    role = client("iam").list_attached_role_policies(RoleName=f"{CLUSTER}-eks-nodes")["AttachedPolicies"]
    required = ["AmazonEC2ContainerRegistryReadOnly", "AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy"]
    assert sorted(p["PolicyName"] for p in role) == required


def test_add_ons_that_call_aws_have_their_own_pod_identity_role(built):
    eks = client("eks")
    assert sorted(eks.list_addons(clusterName=CLUSTER)["addons"]) == sorted([
        "amazon-cloudwatch-observability", "aws-ebs-csi-driver", "coredns", "eks-pod-identity-agent", "kube-proxy", "vpc-cni"])
    roles = {a["serviceAccount"]: eks.describe_pod_identity_association(
        clusterName=CLUSTER, associationId=a["associationId"])["association"]["roleArn"]
        for a in eks.list_pod_identity_associations(clusterName=CLUSTER)["associations"]}
    assert roles == {"ebs-csi-controller-sa": f"arn:aws:iam::123456789012:role/{CLUSTER}-aws-ebs-csi-driver",
                     "cloudwatch-agent": f"arn:aws:iam::123456789012:role/{CLUSTER}-amazon-cloudwatch-observability",
                     "cluster-autoscaler": f"arn:aws:iam::123456789012:role/{CLUSTER}-cluster-autoscaler"}
    # the autoscaler may scale only this cluster's groups; its manifests are written for the jump host to apply
    policy = client("iam").get_role_policy(RoleName=f"{CLUSTER}-cluster-autoscaler", PolicyName="cluster-autoscaler")
    scale = policy["PolicyDocument"]["Statement"][0]
    assert scale["Condition"] == {"StringEquals": {f"aws:ResourceTag/k8s.io/cluster-autoscaler/{CLUSTER}": "owned"}}
    manifest = REPO / "manifests" / CLUSTER / "cluster-autoscaler.yaml"
    assert f"k8s.io/cluster-autoscaler/{CLUSTER}" in manifest.read_text()
    jump = f"arn:aws:iam::123456789012:role/{CLUSTER}-jump-host"
    assert eks.list_access_entries(clusterName=CLUSTER)["accessEntries"] == [jump]
    # the CloudWatch agent scrapes the app's /metrics into CloudWatch, into log groups with a retention
    values = yaml.safe_load(eks.describe_addon(clusterName=CLUSTER, addonName="amazon-cloudwatch-observability")
                            ["addon"]["configurationValues"])
    assert values["agent"]["prometheus"]["config"]["scrape_configs"][0]["metrics_path"] == "/metrics"
    assert values["agent"]["config"]["logs"]["metrics_collected"]["kubernetes"]["enhanced_container_insights"] is True
    groups = client("logs").describe_log_groups(logGroupNamePrefix=f"/aws/containerinsights/{CLUSTER}/")["logGroups"]
    assert sorted((g["logGroupName"].rsplit("/", 1)[1], g["retentionInDays"]) for g in groups) == [
        (name, 90) for name in ("application", "dataplane", "host", "performance", "prometheus")]


def test_the_audit_holds_the_eks_invariants(playbook, built):
    run = playbook("audit.yml", *ARGS)
    assert run.rc == 0, run.out[-3000:]
    for check in ("eks_endpoint", "eks_secrets_encryption", "eks_logging", "eks_placement", "eks_node_imdsv2",
                  "eks_node_ssh", "eks_security_groups"):
        assert check in run.out


def test_kubectl_check_reads_the_private_endpoint_and_names_what_is_missing(playbook, built):
    """kubectl_check.yml on the controller: the cluster's endpoint is read and checked private. Limited to
    the controller (this stack has no jump host; the lab inventory may still list the e2e suite's VMs, and
    molecule/kubectl tests the kubectl role and its kubeconfig on a lab host; the lab has no API server),
    the check fails naming that rather than passing having checked nothing."""
    run = playbook("kubectl_check.yml", *ARGS, "--limit", "localhost")
    out = " ".join(run.out.split())
    assert run.rc != 0
    assert f"Cluster {CLUSTER} 1.31: {built['endpoint']}" in out
    assert "No host matched jump_host: nothing reached the cluster" in out
    missing = playbook("kubectl_check.yml", *ARGS, "--limit", "localhost", "-e", "eks_platform_kubectl_cluster_name=nosuch")
    assert missing.rc != 0 and "EKS cluster nosuch does not exist" in " ".join(missing.out.split())


def test_a_rerun_changes_nothing_and_check_mode_writes_nothing(playbook, built):
    assert changed(playbook("provision.yml", *ARGS, "--tags", "eks")) == 0
    assert changed(playbook("provision.yml", *ARGS, "--tags", "eks", "--check")) == 0
    check = playbook("provision.yml", *ARGS, "--tags", "eks", "--check", "--diff", "-e", "eks_kubernetes_version=1.32")
    # the cluster, the nodes that follow it, and the autoscaler's image of the new version: reported, not done
    assert changed(check) == 3 and "+    version: '1.32'" in check.out
    assert client("eks").describe_cluster(name=CLUSTER)["cluster"]["version"] == built["version"]
    assert client("eks").describe_nodegroup(clusterName=CLUSTER, nodegroupName="nodes")["nodegroup"]["version"] == "1.31"
    assert "cluster-autoscaler:v1.31.0" in (REPO / "manifests" / CLUSTER / "cluster-autoscaler.yaml").read_text()


def test_an_upgrade_two_minors_ahead_is_refused_before_any_change(playbook, lab_aws, built):
    before = lab_aws.call_count(PORT)
    run = playbook("provision.yml", *ARGS, "--tags", "eks", "-e", "eks_kubernetes_version=1.33")
    assert run.rc != 0 and "eks_kubernetes_version: 1.33 cannot follow 1.31" in run.out, run.out[-2000:]
    assert client("eks").describe_cluster(name=CLUSTER)["cluster"]["version"] == "1.31"
    # refused by the input checks, before the first write: the AZ lookup and the cluster's version were read
    assert lab_aws.call_count(PORT) - before <= 2


def test_drift_is_repaired_one_update_at_a_time(playbook, built):
    eks = client("eks")
    update = eks.update_cluster_config(name=CLUSTER, resourcesVpcConfig={"endpointPublicAccess": True})["update"]
    eks.describe_update(name=CLUSTER, updateId=update["id"])
    update = eks.update_cluster_config(name=CLUSTER, logging={"clusterLogging": [{"types": ["audit"], "enabled": False}]})["update"]
    eks.describe_update(name=CLUSTER, updateId=update["id"])
    ec2 = client("ec2")
    plane = built["resourcesVpcConfig"]["securityGroupIds"][0]
    ec2.authorize_security_group_ingress(GroupId=plane, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    audit = playbook("audit.yml", *ARGS)
    assert audit.rc != 0
    assert f"EKS cluster {CLUSTER} has a public API endpoint" in audit.out
    assert f"EKS cluster {CLUSTER} does not log audit" in audit.out
    assert f"{plane} ({STACK}-eks-control-plane) of EKS cluster {CLUSTER} admits tcp 443-443 from 0.0.0.0/0" in audit.out
    ec2.revoke_security_group_ingress(GroupId=plane, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    # the lab refuses an update while another is in progress, as EKS does: the module must wait for each.
    # A full converge (new input: the version), which records the stack for the next test.
    # the cluster, its nodes rolled to it, the autoscaler's manifest, and the record
    assert changed(playbook("provision.yml", *UPGRADED)) == 4
    cluster = eks.describe_cluster(name=CLUSTER)["cluster"]
    assert cluster["resourcesVpcConfig"]["endpointPublicAccess"] is False
    assert cluster["logging"]["clusterLogging"][0] == {"types": ALL_LOGS, "enabled": True}
    assert cluster["version"] == "1.32"
    assert eks.describe_nodegroup(clusterName=CLUSTER, nodegroupName="nodes")["nodegroup"]["version"] == "1.32"


def test_the_scheduled_no_op_sees_eks_drift(playbook, built):
    """provision.yml's fast path reads the cluster too: an untouched stack skips the roles, and a
    removed access policy or a deleted add-on makes the full converge run and repair them."""
    run = playbook("provision.yml", *UPGRADED)
    assert changed(run) == 0 and f"stack {STACK} is as the converge" in " ".join(run.out.split())
    eks = client("eks")
    jump = f"arn:aws:iam::123456789012:role/{CLUSTER}-jump-host"
    eks.disassociate_access_policy(clusterName=CLUSTER, principalArn=jump,
                                   policyArn="arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy")
    eks.delete_addon(clusterName=CLUSTER, addonName="kube-proxy")
    run = playbook("provision.yml", *UPGRADED)
    assert "live state of stack" in " ".join(run.out.split()), run.out[-2000:]
    assert changed(run) == 3  # the access entry, the add-on, the record
    assert "kube-proxy" in eks.list_addons(clusterName=CLUSTER)["addons"]
    assert [p["policyArn"].rsplit("/", 1)[1] for p in eks.list_associated_access_policies(
        clusterName=CLUSTER, principalArn=jump)["associatedAccessPolicies"]] == ["AmazonEKSAdminViewPolicy"]


def test_teardown_removes_the_cluster_in_order_and_is_idempotent(playbook, built):
    eks = client("eks")
    assert changed(playbook("teardown.yml", "-e", f"teardown_confirm={STACK}", *ARGS)) > 0
    assert CLUSTER not in eks.list_clusters()["clusters"]
    for prefix in (f"/aws/eks/{CLUSTER}", f"/aws/containerinsights/{CLUSTER}"):
        assert client("logs").describe_log_groups(logGroupNamePrefix=prefix)["logGroups"] == []
    roles = [r["RoleName"] for r in client("iam").list_roles()["Roles"] if r["RoleName"].startswith(CLUSTER)]
    assert roles == []
    key = built["encryptionConfig"][0]["provider"]["keyArn"]
    assert client("kms").describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    assert changed(playbook("teardown.yml", "-e", f"teardown_confirm={STACK}", *ARGS)) == 0
