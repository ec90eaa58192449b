"""eks_nodegroup's conversation with EKS, pinned with botocore's Stubber (every call, its parameters and
order asserted against botocore's model): moto has no UpdateNodegroupVersion or DescribeUpdate for node
groups (the lab's backend adds them for the role's tests over the wire)."""
import pytest

from modrun import stubbed_runner
from ansible_collections.devsecops.eks_platform.plugins.modules import eks_nodegroup as mod

CLUSTER = "eksplat-us-east-1"
ROLE = "arn:aws:iam::123456789012:role/eksplat-us-east-1-eks-nodes"
KEY = dict(clusterName=CLUSTER, nodegroupName="nodes")
ARGS = dict(region="us-east-1", cluster_name=CLUSTER, name="nodes", node_role=ROLE, subnets=["subnet-b", "subnet-a"],
            launch_template={"id": "lt-1", "version": "2"}, ami_type="AL2023_x86_64_STANDARD", min_size=3, max_size=6,
            desired_size=3, tags={"k8s.io/cluster-autoscaler/enabled": "true"})


@pytest.fixture
def stubbed(monkeypatch):
    return stubbed_runner(monkeypatch, mod.main, ARGS)


def group(desired=3, lt_version="2", version="1.31", status="ACTIVE", subnets=("subnet-a", "subnet-b"), labels=None):
    return {"nodegroup": {
        "nodegroupName": "nodes", "clusterName": CLUSTER, "nodegroupArn": "arn:aws:eks:us-east-1:1:nodegroup/c/nodes/1",
        "status": status, "nodeRole": ROLE, "subnets": list(subnets), "amiType": "AL2023_x86_64_STANDARD",
        "capacityType": "ON_DEMAND", "instanceTypes": ["t3.large"], "version": version, "releaseVersion": "1.31.3-20250103",
        "launchTemplate": {"id": "lt-1", "name": "eksplat-nodes", "version": lt_version},
        "scalingConfig": {"minSize": 3, "maxSize": 6, "desiredSize": desired}, "updateConfig": {"maxUnavailable": 1},
        "labels": labels or {}, "tags": {"k8s.io/cluster-autoscaler/enabled": "true"}}}


def describe(s, **kw):
    s.add_response("describe_nodegroup", group(**kw), KEY)


def test_created_on_the_launch_template_with_an_al2023_ami_type(stubbed):
    def script(s):
        s.add_client_error("describe_nodegroup", "ResourceNotFoundException", expected_params=KEY)
        s.add_response("create_nodegroup", group(status="CREATING"), dict(
            KEY, nodeRole=ROLE, subnets=["subnet-a", "subnet-b"], scalingConfig={"minSize": 3, "maxSize": 6, "desiredSize": 3},
            updateConfig={"maxUnavailable": 1}, capacityType="ON_DEMAND", labels={},
            launchTemplate={"id": "lt-1", "version": "2"}, amiType="AL2023_x86_64_STANDARD",
            tags={"k8s.io/cluster-autoscaler/enabled": "true"}))
        describe(s)  # nodegroup_active waiter
        describe(s)  # read back

    result = stubbed(script)
    assert result["changed"] is True and result["nodegroup"]["ami_type"] == "AL2023_x86_64_STANDARD"


def test_the_autoscalers_desired_size_is_kept(stubbed):
    assert stubbed(lambda s: describe(s, desired=5))["changed"] is False


def test_a_desired_size_outside_new_bounds_is_clamped(stubbed):
    def script(s):
        describe(s, desired=5)
        s.add_response("update_nodegroup_config", {"update": {"id": "u1", "status": "Successful", "type": "ConfigUpdate"}},
                       dict(KEY, scalingConfig={"minSize": 2, "maxSize": 4, "desiredSize": 4}))
        describe(s, desired=4)

    assert stubbed(script, min_size=2, max_size=4)["changed"] is True


def test_a_new_launch_template_version_and_kubernetes_version_roll_the_nodes_waiting_for_the_update(stubbed):
    def script(s):
        describe(s, lt_version="1", version="1.30")
        s.add_response("update_nodegroup_version", {"update": {"id": "u2", "status": "InProgress", "type": "VersionUpdate"}},
                       dict(KEY, launchTemplate={"id": "lt-1", "version": "2"}, version="1.31"))
        s.add_response("describe_update", {"update": {"id": "u2", "status": "Successful", "type": "VersionUpdate"}},
                       {"name": CLUSTER, "nodegroupName": "nodes", "updateId": "u2"})
        describe(s)

    result = stubbed(script, version="1.31")
    assert result["changed"] is True and result["diff"]["before"]["launch_template"]["version"] == "1"


def test_a_failed_roll_fails_with_eks_error(stubbed):
    def script(s):
        describe(s, lt_version="1")
        s.add_response("update_nodegroup_version", {"update": {"id": "u3", "status": "InProgress", "type": "VersionUpdate"}})
        s.add_response("describe_update", {"update": {"id": "u3", "status": "Failed", "type": "VersionUpdate", "errors": [
            {"errorCode": "PodEvictionFailure", "errorMessage": "Reached max retries while trying to evict pods"}]}})

    result = stubbed(script)
    assert result["failed"] is True and "PodEvictionFailure" in result["msg"]


def test_labels_are_exactly_those_listed(stubbed):
    def script(s):
        describe(s, labels={"old": "1", "pool": "x"})
        s.add_response("update_nodegroup_config", {"update": {"id": "u4", "status": "Successful", "type": "ConfigUpdate"}},
                       dict(KEY, labels={"addOrUpdateLabels": {"pool": "nodes"}, "removeLabels": ["old"]}))
        describe(s, labels={"pool": "nodes"})

    assert stubbed(script, labels={"pool": "nodes"})["changed"] is True


def test_other_subnets_are_refused_naming_the_option(stubbed):
    result = stubbed(lambda s: describe(s, subnets=("subnet-a", "subnet-z")))
    assert result["failed"] is True and result["msg"].startswith("subnets: ")


def test_a_node_role_not_yet_propagated_is_retried(stubbed):
    def script(s):
        s.add_client_error("describe_nodegroup", "ResourceNotFoundException")
        s.add_client_error("create_nodegroup", "InvalidParameterException",
                           "The role with name eksplat-us-east-1-eks-nodes cannot be found.")
        s.add_response("create_nodegroup", group(status="CREATING"))
        describe(s)
        describe(s)

    assert stubbed(script)["changed"] is True


def test_check_mode_reports_and_writes_nothing(stubbed):
    result = stubbed(lambda s: describe(s, lt_version="1"), _ansible_check_mode=True)
    assert result["changed"] is True and result["nodegroup"]["launch_template"]["version"] == "2"


def test_delete_waits_and_a_second_run_is_a_no_op(stubbed):
    def script(s):
        describe(s)
        s.add_response("delete_nodegroup", group(status="DELETING"), KEY)
        s.add_client_error("describe_nodegroup", "ResourceNotFoundException")  # nodegroup_deleted waiter

    assert stubbed(script, state="absent")["changed"] is True
    gone = stubbed(lambda s: s.add_client_error("describe_nodegroup", "ResourceNotFoundException"), state="absent")
    assert gone["changed"] is False


def test_a_custom_image_group_rolls_on_its_launch_template_alone(stubbed):
    """A custom AMI (amiType CUSTOM) names no Kubernetes version - EKS refuses one beside it: a new image is a
    new launch template version, which rolls the nodes without a version in the call."""
    def custom(**kw):
        g = group(**kw)
        g["nodegroup"]["amiType"] = "CUSTOM"
        g["nodegroup"].pop("releaseVersion")
        return g

    def script(s):
        s.add_response("describe_nodegroup", custom(lt_version="2"), KEY)
        s.add_response("update_nodegroup_version", {"update": {"id": "u3", "status": "InProgress", "type": "VersionUpdate"}},
                       dict(KEY, launchTemplate={"id": "lt-1", "version": "3"}))
        s.add_response("describe_update", {"update": {"id": "u3", "status": "Successful", "type": "VersionUpdate"}},
                       {"name": CLUSTER, "nodegroupName": "nodes", "updateId": "u3"})
        s.add_response("describe_nodegroup", custom(lt_version="3"), KEY)

    result = stubbed(script, ami_type="CUSTOM", launch_template={"id": "lt-1", "version": "3"})
    assert result["changed"] is True and result["nodegroup"]["launch_template"]["version"] == "3"
