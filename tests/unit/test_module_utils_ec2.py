"""module_utils/ec2.py: the one paginated read the collection's EC2 modules share retries EC2's
transient answers (not only throttling) and joins every page; other errors surface at once."""
import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from ansible_collections.devsecops.eks_platform.plugins.module_utils import ec2 as ec2_utils


@pytest.fixture
def client(monkeypatch):
    # no real back-off sleeps in a unit test
    monkeypatch.setattr("time.sleep", lambda _s: None)
    c = boto3.client("ec2", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(c) as stub:
        yield c, stub
        stub.assert_no_pending_responses()


def test_pages_are_joined_and_a_transient_error_is_retried(client):
    c, stub = client
    stub.add_client_error("describe_route_tables", service_error_code="InternalError", http_status_code=500)
    stub.add_response("describe_route_tables", {"RouteTables": [{"RouteTableId": "rtb-1"}], "NextToken": "t"})
    stub.add_response("describe_route_tables", {"RouteTables": [{"RouteTableId": "rtb-2"}]}, {"NextToken": "t"})
    tables = ec2_utils.paginate(c, "describe_route_tables", "RouteTables")
    assert [t["RouteTableId"] for t in tables] == ["rtb-1", "rtb-2"]


def test_a_real_error_is_not_retried(client):
    c, stub = client
    stub.add_client_error("describe_route_tables", service_error_code="UnauthorizedOperation", http_status_code=403)
    with pytest.raises(ClientError, match="UnauthorizedOperation"):
        ec2_utils.paginate(c, "describe_route_tables", "RouteTables")


def test_transient_codes_are_ec2s_not_only_throttling():
    assert {"InternalError", "Unavailable", "ServiceUnavailable"} <= set(ec2_utils.TRANSIENT_ERROR_CODES)
