"""Client VPN is not implemented by moto: these tests pin the module's API conversation with
botocore's Stubber (every call, its parameters and order are asserted)."""
import pytest
from botocore.stub import ANY, Stubber

from modrun import run_module, stub_aws_clients
from ansible_collections.devsecops.eks_platform.plugins.modules import ec2_client_vpn_endpoint as mod

EID = "cvpn-endpoint-0123456789abcdef0"
SERVER = "arn:aws:acm:us-east-1:123456789012:certificate/server"
ARGS = dict(
    region="us-east-1", name="stack-client-vpn", client_cidr_block="172.31.128.0/22",
    server_certificate_arn=SERVER, client_root_certificate_arn=SERVER, vpc_id="vpc-1",
    security_group_ids=["sg-1"], subnet_ids=["subnet-a"],
    authorization_rules=[{"target_network_cidr": "10.10.128.0/20", "description": "bastions"}],
    connection_log_group="/eks/cvpn", connection_log_stream="connections", wait=True,
)


@pytest.fixture
def stub(monkeypatch):
    holder = {}

    def make(client):  # each test scripts holder["make"] before it runs the module
        return holder["make"](client)

    return stub_aws_clients(monkeypatch, mod, make, holder)


def endpoint(**over):
    ep = {"ClientVpnEndpointId": EID, "ClientCidrBlock": "172.31.128.0/22", "ServerCertificateArn": SERVER,
          "SplitTunnel": True, "VpnPort": 443, "Description": "", "SessionTimeoutHours": 8, "VpcId": "vpc-1",
          "SecurityGroupIds": ["sg-1"], "Status": {"Code": "available"},
          "ConnectionLogOptions": {"Enabled": True, "CloudwatchLogGroup": "/eks/cvpn", "CloudwatchLogStream": "connections"},
          "Tags": [{"Key": "Name", "Value": "stack-client-vpn"}]}
    ep.update(over)
    return ep


NET = {"ClientVpnTargetNetworks": [{"TargetNetworkId": "subnet-a", "AssociationId": "cvpn-assoc-1",
                                    "Status": {"Code": "associated"}}]}
RULES = {"AuthorizationRules": [{"DestinationCidr": "10.10.128.0/20", "AccessAll": True, "Status": {"Code": "active"}}]}
FIND = {"Filters": [{"Name": "tag:Name", "Values": ["stack-client-vpn"]}]}
BY_ID = {"ClientVpnEndpointIds": [EID]}
ON_EP = {"ClientVpnEndpointId": EID}
# What a run that changes nothing reads after finding the endpoint: before, to sync, and after.
NOOP_READS = [("describe_client_vpn_target_networks", NET, ON_EP), ("describe_client_vpn_authorization_rules", RULES, ON_EP)] * 3


def script(calls):
    def make(client):
        s = Stubber(client)
        for method, response, params in calls:
            s.add_response(method, response, params)
        s.activate()
        make.stubber = s
        return s
    return make


def run(stub, calls, **args):
    stub["make"] = script(calls)
    result = run_module(mod.main, dict(ARGS, **args))
    stub["stubber"].assert_no_pending_responses()
    return result


def test_create_associates_and_authorizes(stub):
    result = run(stub, [
        ("describe_client_vpn_endpoints", {"ClientVpnEndpoints": []}, FIND),
        ("create_client_vpn_endpoint", {"ClientVpnEndpointId": EID}, {
            "ClientCidrBlock": "172.31.128.0/22", "ServerCertificateArn": SERVER,
            "AuthenticationOptions": [{"Type": "certificate-authentication",
                                       "MutualAuthentication": {"ClientRootCertificateChainArn": SERVER}}],
            "ConnectionLogOptions": {"Enabled": True, "CloudwatchLogGroup": "/eks/cvpn", "CloudwatchLogStream": "connections"},
            "Description": "", "SplitTunnel": True, "TransportProtocol": "udp", "VpnPort": 443, "SessionTimeoutHours": 8,
            "VpcId": "vpc-1", "SecurityGroupIds": ["sg-1"], "TagSpecifications": ANY}),
        ("describe_client_vpn_endpoints", {"ClientVpnEndpoints": [endpoint()]}, BY_ID),
        ("describe_client_vpn_target_networks", {"ClientVpnTargetNetworks": []}, ON_EP),
        ("associate_client_vpn_target_network", {"AssociationId": "cvpn-assoc-1"}, dict(ON_EP, SubnetId="subnet-a")),
        ("describe_client_vpn_target_networks", NET, ON_EP),
        ("describe_client_vpn_authorization_rules", {"AuthorizationRules": []}, ON_EP),
        ("authorize_client_vpn_ingress", {"Status": {"Code": "authorizing"}},
         dict(ON_EP, TargetNetworkCidr="10.10.128.0/20", Description="bastions", AuthorizeAllGroups=True)),
        ("describe_client_vpn_endpoints", {"ClientVpnEndpoints": [endpoint()]}, BY_ID),
        ("describe_client_vpn_target_networks", NET, ON_EP),
        ("describe_client_vpn_authorization_rules", RULES, ON_EP),
    ])
    assert result["changed"] is True
    assert result["endpoint"]["client_vpn_endpoint_id"] == EID
    assert result["endpoint"]["associations"] == ["subnet-a"]
    assert result["endpoint"]["authorization_rules"] == ["10.10.128.0/20"]
    assert result["diff"]["before"] == {}


def test_noop_makes_no_write(stub):
    result = run(stub, [("describe_client_vpn_endpoints", {"ClientVpnEndpoints": [endpoint()]}, FIND)] + NOOP_READS)
    assert result["changed"] is False
    assert result["diff"]["before"] == result["diff"]["after"]


def test_update_modifies_and_purges_extra_rule_and_subnet(stub):
    extra_net = {"ClientVpnTargetNetworks": NET["ClientVpnTargetNetworks"] + [
        {"TargetNetworkId": "subnet-x", "AssociationId": "cvpn-assoc-x", "Status": {"Code": "associated"}}]}
    extra_rules = {"AuthorizationRules": RULES["AuthorizationRules"] + [
        {"DestinationCidr": "0.0.0.0/0", "AccessAll": True, "Status": {"Code": "active"}}]}
    result = run(stub, [
        ("describe_client_vpn_endpoints", {"ClientVpnEndpoints": [endpoint(SplitTunnel=False)]}, FIND),
        ("describe_client_vpn_target_networks", extra_net, ON_EP),
        ("describe_client_vpn_authorization_rules", extra_rules, ON_EP),
        ("modify_client_vpn_endpoint", {"Return": True}, dict(ON_EP, SplitTunnel=True)),
        ("describe_client_vpn_target_networks", extra_net, ON_EP),
        ("disassociate_client_vpn_target_network", {"AssociationId": "cvpn-assoc-x"}, dict(ON_EP, AssociationId="cvpn-assoc-x")),
        ("describe_client_vpn_target_networks", NET, ON_EP),
        ("describe_client_vpn_authorization_rules", extra_rules, ON_EP),
        ("revoke_client_vpn_ingress", {"Status": {"Code": "revoking"}}, dict(ON_EP, TargetNetworkCidr="0.0.0.0/0", RevokeAllGroups=True)),
        ("describe_client_vpn_endpoints", {"ClientVpnEndpoints": [endpoint()]}, BY_ID),
        ("describe_client_vpn_target_networks", NET, ON_EP),
        ("describe_client_vpn_authorization_rules", RULES, ON_EP),
    ])
    assert result["changed"] is True
    assert result["diff"]["before"]["authorization_rules"] == ["0.0.0.0/0", "10.10.128.0/20"]
    assert result["diff"]["after"]["authorization_rules"] == ["10.10.128.0/20"]


def test_check_mode_reads_only(stub):
    result = run(stub, [
        ("describe_client_vpn_endpoints", {"ClientVpnEndpoints": []}, FIND),
    ], _ansible_check_mode=True)
    assert result["changed"] is True
    assert result["endpoint"]["associations"] == ["subnet-a"]


def test_delete_disassociates_then_deletes(stub):
    result = run(stub, [
        ("describe_client_vpn_endpoints", {"ClientVpnEndpoints": [endpoint()]}, FIND),
        ("describe_client_vpn_target_networks", NET, ON_EP),
        ("describe_client_vpn_authorization_rules", RULES, ON_EP),
        ("describe_client_vpn_target_networks", NET, ON_EP),
        ("disassociate_client_vpn_target_network", {"AssociationId": "cvpn-assoc-1"}, dict(ON_EP, AssociationId="cvpn-assoc-1")),
        ("describe_client_vpn_target_networks", {"ClientVpnTargetNetworks": []}, ON_EP),
        ("delete_client_vpn_endpoint", {"Status": {"Code": "deleting"}}, ON_EP),
    ], state="absent")
    assert result["changed"] is True and result["endpoint"] == {}


def test_delete_when_absent_is_noop(stub):
    result = run(stub, [("describe_client_vpn_endpoints", {"ClientVpnEndpoints": []}, FIND)], state="absent")
    assert result["changed"] is False


def test_unsupported_api_is_reported(stub):
    def make(client):
        s = Stubber(client)
        s.add_client_error("describe_client_vpn_endpoints", service_error_code="InvalidAction", http_status_code=400)
        s.activate()
        return s
    stub["make"] = make
    result = run_module(mod.main, dict(ARGS))
    assert result["failed"] is True and result["unsupported"] is True


def test_a_generated_log_stream_name_is_no_difference(stub):
    # No stream asked for: AWS makes one and reports its generated name; the module must not modify.
    generated = endpoint(ConnectionLogOptions={"Enabled": True, "CloudwatchLogGroup": "/eks/cvpn",
                                               "CloudwatchLogStream": "cvpn-endpoint-0123456789abcdef0-us-east-1-2026/11/30"})
    result = run(stub, [("describe_client_vpn_endpoints", {"ClientVpnEndpoints": [generated]}, FIND)] + NOOP_READS,
                 connection_log_stream=None)
    assert result["changed"] is False


@pytest.mark.parametrize("over,named", [
    ({"ClientCidrBlock": "172.31.0.0/22"}, "client_cidr_block (172.31.0.0/22, wanted 172.31.128.0/22)"),
    ({"TransportProtocol": "tcp"}, "transport_protocol (tcp, wanted udp)"),
    ({"AuthenticationOptions": [{"Type": "certificate-authentication",
                                 "MutualAuthentication": {"ClientRootCertificateChain": "arn:aws:acm:us-east-1:123456789012:certificate/old-ca"}}]},
     "authentication (client_root_certificate_arn"),
])
def test_what_aws_cannot_modify_fails_instead_of_being_ignored(stub, over, named):
    result = run(stub, [
        ("describe_client_vpn_endpoints", {"ClientVpnEndpoints": [endpoint(**over)]}, FIND),
        ("describe_client_vpn_target_networks", NET, ON_EP),
        ("describe_client_vpn_authorization_rules", RULES, ON_EP),
    ])
    assert result["failed"] is True and named in result["msg"] and "cannot be changed" in result["msg"]


def test_an_endpoint_being_deleted_is_not_live(stub):
    result = run(stub, [
        ("describe_client_vpn_endpoints", {"ClientVpnEndpoints": [endpoint(Status={"Code": "deleting"})]}, FIND),
    ], _ansible_check_mode=True)
    assert result["changed"] is True and result["diff"]["before"] == {}


def test_a_failed_association_stops_the_wait(stub):
    failed = {"ClientVpnTargetNetworks": [{"TargetNetworkId": "subnet-a", "AssociationId": "cvpn-assoc-1",
                                           "Status": {"Code": "association-failed", "Message": "subnet has no free address"}}]}
    result = run(stub, [
        ("describe_client_vpn_endpoints", {"ClientVpnEndpoints": [endpoint()]}, FIND),
        ("describe_client_vpn_target_networks", {"ClientVpnTargetNetworks": []}, ON_EP),
        ("describe_client_vpn_authorization_rules", RULES, ON_EP),
        ("describe_client_vpn_target_networks", {"ClientVpnTargetNetworks": []}, ON_EP),
        ("associate_client_vpn_target_network", {"AssociationId": "cvpn-assoc-1"}, dict(ON_EP, SubnetId="subnet-a")),
        ("describe_client_vpn_target_networks", failed, ON_EP),
    ])
    assert result["failed"] is True
    assert result["msg"] == "Client VPN association failed for subnet-a (subnet has no free address)"


def test_a_new_endpoint_not_yet_visible_is_retried(stub):
    def make(client):
        s = Stubber(client)
        s.add_response("describe_client_vpn_endpoints", {"ClientVpnEndpoints": []}, FIND)
        s.add_response("create_client_vpn_endpoint", {"ClientVpnEndpointId": EID})
        s.add_client_error("describe_client_vpn_endpoints", service_error_code="InvalidClientVpnEndpointId.NotFound",
                           http_status_code=400)
        s.add_response("describe_client_vpn_endpoints", {"ClientVpnEndpoints": [endpoint()]}, BY_ID)
        for method, response in (("describe_client_vpn_target_networks", NET), ("describe_client_vpn_target_networks", NET),
                                 ("describe_client_vpn_authorization_rules", RULES),
                                 ("describe_client_vpn_endpoints", {"ClientVpnEndpoints": [endpoint()]}),
                                 ("describe_client_vpn_target_networks", NET), ("describe_client_vpn_authorization_rules", RULES)):
            s.add_response(method, response)
        s.activate()
        return s
    stub["make"] = make
    result = run_module(mod.main, dict(ARGS))
    assert result.get("failed") is not True, result
    stub["stubber"].assert_no_pending_responses()
    assert result["changed"] is True and result["endpoint"]["client_vpn_endpoint_id"] == EID
