"""eks_cluster's conversation with EKS, pinned with botocore's Stubber (every call, its parameters and
order asserted against botocore's model). moto has no UpdateClusterVersion, AssociateEncryptionConfig,
DescribeUpdate or access config; the lab's backend adds them for the role's tests over the wire."""
import pytest

from modrun import stubbed_runner
from ansible_collections.devsecops.eks_platform.plugins.modules import eks_cluster as mod

NAME = "eksplat-us-east-1"
ROLE = "arn:aws:iam::123456789012:role/eksplat-us-east-1-eks-cluster"
KEY = "arn:aws:kms:us-east-1:123456789012:key/0e7c0b5a-1111-2222-3333-444455556666"
ALL = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
ARGS = dict(region="us-east-1", name=NAME, version="1.31", role_arn=ROLE, subnets=["subnet-b", "subnet-a"],
            security_groups=["sg-1"], encryption_key_arn=KEY)


@pytest.fixture
def stubbed(monkeypatch):
    return stubbed_runner(monkeypatch, mod.main, ARGS)


def cluster(version="1.31", public=False, logs=tuple(ALL), key=KEY, mode="API", status="ACTIVE", subnets=("subnet-a", "subnet-b")):
    c = {"name": NAME, "arn": "arn:aws:eks:us-east-1:123456789012:cluster/" + NAME, "version": version, "status": status,
         "roleArn": ROLE, "endpoint": "https://x.eks.amazonaws.com",
         "resourcesVpcConfig": {"subnetIds": list(subnets), "securityGroupIds": ["sg-1"], "vpcId": "vpc-1",
                                "clusterSecurityGroupId": "sg-c", "endpointPublicAccess": public,
                                "endpointPrivateAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]},
         "logging": {"clusterLogging": [{"types": list(logs), "enabled": True},
                                        {"types": [t for t in ALL if t not in logs], "enabled": False}]},
         "accessConfig": {"authenticationMode": mode}, "tags": {}}
    if key:
        c["encryptionConfig"] = [{"resources": ["secrets"], "provider": {"keyArn": key}}]
    return {"cluster": c}


def describe(s, **kw):
    s.add_response("describe_cluster", cluster(**kw), {"name": NAME})


def update(id_, type_, status="InProgress", errors=None):
    u = {"id": id_, "status": status, "type": type_}
    if errors:
        u["errors"] = errors
    return {"update": u}


def test_a_new_cluster_is_created_private_with_every_setting_at_once(stubbed):
    def script(s):
        s.add_client_error("describe_cluster", "ResourceNotFoundException", expected_params={"name": NAME})
        s.add_response("create_cluster", cluster(status="CREATING"), {
            "name": NAME, "roleArn": ROLE, "version": "1.31",
            "resourcesVpcConfig": {"endpointPrivateAccess": True, "endpointPublicAccess": False,
                                   "subnetIds": ["subnet-a", "subnet-b"], "securityGroupIds": ["sg-1"]},
            "logging": {"clusterLogging": [{"types": ALL, "enabled": True}]},
            "accessConfig": {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False},
            "encryptionConfig": [{"resources": ["secrets"], "provider": {"keyArn": KEY}}]})
        describe(s)  # the cluster_active waiter
        describe(s)  # read back

    result = stubbed(script)
    assert result["changed"] is True, result
    assert result["cluster"]["endpoint_public_access"] is False
    assert result["cluster"]["logging_types"] == ALL


def test_a_role_not_yet_propagated_is_retried(stubbed):
    """Real EKS answers InvalidParameterException while a role created moments ago is not assumable."""
    def script(s):
        s.add_client_error("describe_cluster", "ResourceNotFoundException")
        s.add_client_error("create_cluster", "InvalidParameterException",
                           "Role with arn: %s, could not be assumed because it does not exist or the trusted entity "
                           "is not correct" % ROLE)
        s.add_response("create_cluster", cluster(status="CREATING"))
        describe(s)
        describe(s)

    assert stubbed(script)["changed"] is True


def test_other_invalid_parameters_fail_at_once(stubbed):
    def script(s):
        s.add_client_error("describe_cluster", "ResourceNotFoundException")
        s.add_client_error("create_cluster", "UnsupportedAvailabilityZoneException",
                           "Cannot create cluster because us-east-1e does not have sufficient capacity")

    result = stubbed(script)
    assert result["failed"] is True and "us-east-1e" in result["msg"]


def test_an_equal_cluster_is_left_alone(stubbed):
    assert stubbed(describe)["changed"] is False


def test_public_endpoint_and_missing_logs_are_repaired_one_update_at_a_time(stubbed):
    def script(s):
        describe(s, public=True, logs=["api"])
        s.add_response("update_cluster_config", update("u1", "EndpointAccessUpdate"), {
            "name": NAME, "resourcesVpcConfig": {"endpointPrivateAccess": True, "endpointPublicAccess": False}})
        s.add_response("describe_update", update("u1", "EndpointAccessUpdate", "Successful"), {"name": NAME, "updateId": "u1"})
        s.add_response("update_cluster_config", update("u2", "LoggingUpdate", "Successful"), {
            "name": NAME, "logging": {"clusterLogging": [{"types": ALL, "enabled": True}]}})
        describe(s)

    result = stubbed(script)
    assert result["changed"] is True
    assert result["diff"]["before"]["endpoint_public_access"] is True
    assert result["diff"]["after"]["endpoint_public_access"] is False


def test_a_failed_update_fails_with_eks_error(stubbed):
    def script(s):
        describe(s, version="1.30")
        s.add_response("update_cluster_version", update("u3", "VersionUpdate"), {"name": NAME, "version": "1.31"})
        s.add_response("describe_update", update("u3", "VersionUpdate", "Failed", [
            {"errorCode": "PodEvictionFailure", "errorMessage": "Reached max retries while trying to evict pods"}]))

    result = stubbed(script)
    assert result["failed"] is True
    assert "PodEvictionFailure" in result["msg"] and "u3" in result["msg"]


@pytest.mark.parametrize("have, want, word", [("1.29", "1.31", "one minor version at a time"), ("1.31", "1.30", "never downgrades")])
def test_a_version_jump_or_downgrade_is_refused_before_any_change(stubbed, have, want, word):
    result = stubbed(lambda s: describe(s, version=have), version=want)
    assert result["failed"] is True
    assert result["msg"].startswith("version: ") and word in result["msg"]


def test_another_secrets_key_is_refused(stubbed):
    result = stubbed(lambda s: describe(s, key=KEY.replace("0e7c", "ffff")))
    assert result["failed"] is True and result["msg"].startswith("encryption_key_arn: ")


def test_encryption_is_added_to_a_cluster_without_it(stubbed):
    def script(s):
        describe(s, key=None)
        s.add_response("associate_encryption_config", update("u4", "AssociateEncryptionConfig", "Successful"), {
            "clusterName": NAME, "encryptionConfig": [{"resources": ["secrets"], "provider": {"keyArn": KEY}}]})
        describe(s)

    assert stubbed(script)["changed"] is True


def test_config_map_moves_to_api_in_two_steps_and_never_back(stubbed):
    def script(s):
        describe(s, mode="CONFIG_MAP")
        for step, mode in (("u5", "API_AND_CONFIG_MAP"), ("u6", "API")):
            s.add_response("update_cluster_config", update(step, "AccessConfigUpdate", "Successful"),
                           {"name": NAME, "accessConfig": {"authenticationMode": mode}})
        describe(s)

    assert stubbed(script)["changed"] is True
    result = stubbed(describe, authentication_mode="API_AND_CONFIG_MAP")
    assert result["failed"] is True and result["msg"].startswith("authentication_mode: ")


def test_check_mode_reports_and_writes_nothing(stubbed):
    result = stubbed(lambda s: describe(s, public=True, version="1.30"), _ansible_check_mode=True)
    assert result["changed"] is True
    assert result["cluster"]["version"] == "1.31" and result["cluster"]["endpoint_public_access"] is False


def test_a_cluster_with_node_groups_is_not_deleted(stubbed):
    def script(s):
        describe(s)
        s.add_response("list_nodegroups", {"nodegroups": ["workers"]}, {"clusterName": NAME})

    result = stubbed(script, state="absent")
    assert result["failed"] is True and "workers" in result["msg"]


def test_delete_waits_until_gone_and_a_second_run_is_a_no_op(stubbed):
    def script(s):
        describe(s)
        s.add_response("list_nodegroups", {"nodegroups": []}, {"clusterName": NAME})
        s.add_response("delete_cluster", cluster(status="DELETING"), {"name": NAME})
        s.add_client_error("describe_cluster", "ResourceNotFoundException")  # the cluster_deleted waiter

    assert stubbed(script, state="absent")["changed"] is True
    gone = stubbed(lambda s: s.add_client_error("describe_cluster", "ResourceNotFoundException"), state="absent")
    assert gone["changed"] is False
