"""eks_cluster_info against botocore's real DescribeCluster shapes (Stubber)."""
import pytest

from modrun import stubbed_runner
from ansible_collections.devsecops.eks_platform.plugins.modules import eks_cluster_info as mod

NAME = "eksplat-us-gov-west-1"
ARN = "arn:aws-us-gov:eks:us-gov-west-1:123456789012:cluster/" + NAME


@pytest.fixture
def stubbed(monkeypatch):
    return stubbed_runner(monkeypatch, mod.main, dict(region="us-gov-west-1", name=NAME))


def test_the_cluster_is_returned_as_eks_cluster_returns_it(stubbed):
    def script(s):
        s.add_response("describe_cluster", {"cluster": {
            "name": NAME, "arn": ARN, "version": "1.31", "status": "ACTIVE", "endpoint": "https://ABC.yl4.us-gov-west-1.eks.amazonaws.com",
            "certificateAuthority": {"data": "LS0tQ0E="}, "accessConfig": {"authenticationMode": "API"},
            "resourcesVpcConfig": {"endpointPrivateAccess": True, "endpointPublicAccess": False, "subnetIds": ["subnet-b", "subnet-a"]}}},
            {"name": NAME})

    result = stubbed(script)
    assert result["changed"] is False and result["exists"] is True
    c = result["cluster"]
    assert (c["endpoint"], c["certificate_authority"], c["version"], c["arn"]) == (
        "https://ABC.yl4.us-gov-west-1.eks.amazonaws.com", "LS0tQ0E=", "1.31", ARN)
    assert c["endpoint_public_access"] is False and c["subnets"] == ["subnet-a", "subnet-b"]


def test_a_missing_cluster_is_not_an_error(stubbed):
    result = stubbed(lambda s: s.add_client_error("describe_cluster", "ResourceNotFoundException", "No cluster found for name"))
    assert result.get("failed") is not True and result["exists"] is False and result["cluster"] == {}


def test_a_transient_error_is_retried_and_access_denied_is_not(stubbed):
    def transient(s):
        s.add_client_error("describe_cluster", "ServiceUnavailableException", "Service unavailable", 503)
        s.add_response("describe_cluster", {"cluster": {"name": NAME, "status": "ACTIVE"}}, {"name": NAME})

    assert stubbed(transient)["exists"] is True
    denied = stubbed(lambda s: s.add_client_error("describe_cluster", "AccessDeniedException", "not authorized to perform: eks:DescribeCluster", 403))
    assert denied["failed"] is True and NAME in denied["msg"]
