"""moto server with the lab's fixes for known moto gaps, and an API-call counter.

Run as ``python -m eks_lab.moto_patched -H 127.0.0.1 -p PORT``. Roles and playbooks
never know they talk to moto; where moto deviates from AWS in a way that would break
a correct playbook, the fix lives here (and is listed in docs/lab.md).
"""
from __future__ import annotations

import argparse
import json
import os
import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.core.responses import ActionResult
from werkzeug.serving import run_simple

_LOCK = threading.Lock()
_CALLS = {"n": 0}


def _apply_patches() -> None:
    """Patch moto 5.x gaps (each one documented in docs/lab.md)."""
    from moto.ec2.responses.dhcp_options import DHCPOptions

    # Gap 1: CreateDhcpOptions drops TagSpecifications. Keep them, as AWS does.
    orig_create = DHCPOptions.create_dhcp_options

    def create_dhcp_options(self):  # noqa: ANN001
        result = orig_create(self)
        tags = self._parse_tag_specification().get("dhcp-options", {})
        if tags:
            opts = result.result["DhcpOptions"] if hasattr(result, "result") else None
            if opts is not None:
                self.ec2_backend.create_tags([opts.id], tags)
        return result

    DHCPOptions.create_dhcp_options = create_dhcp_options

    # Gap 2: DescribeDhcpOptions lists keys in creation-dict order; AWS sorts them by key,
    # and amazon.aws.ec2_vpc_dhcp_option compares the lists, so an unsorted answer makes
    # every rerun replace the set.
    from moto.ec2.models.dhcp_options import DHCPOptionsSet

    orig_conf = DHCPOptionsSet.dhcp_configurations

    def dhcp_configurations(self):  # noqa: ANN001
        return sorted(orig_conf.fget(self), key=lambda c: c["Key"])

    DHCPOptionsSet.dhcp_configurations = property(dhcp_configurations)

    # Gap 3: DescribeVpcPeeringConnections ignores Filters, so amazon.aws.ec2_vpc_peering's
    # lookup by requester/accepter VPC matches any peering and reuses the wrong one.
    from moto.ec2.responses.vpc_peering_connections import VPCPeeringConnections

    def _pcx_value(pcx, name):
        if name == "requester-vpc-info.vpc-id":
            return [pcx.vpc.id]
        if name == "accepter-vpc-info.vpc-id":
            return [pcx.peer_vpc.id]
        if name == "status-code":
            return [pcx._status.code]
        if name == "vpc-peering-connection-id":
            return [pcx.id]
        if name.startswith("tag:"):
            tags = pcx.ec2_backend.tags.get(pcx.id, {})
            return [tags[name[4:]]] if name[4:] in tags else []
        return None

    def describe_vpc_peering_connections(self):  # noqa: ANN001
        ids = self._get_param("VpcPeeringConnectionIds", [])
        pcxs = self.ec2_backend.describe_vpc_peering_connections(vpc_peering_ids=ids)
        for flt in self._get_param("Filters", []) or []:
            wanted = set(flt.get("Values", []))
            pcxs = [p for p in pcxs
                    if _pcx_value(p, flt["Name"]) is None or wanted & set(_pcx_value(p, flt["Name"]))]
        return ActionResult({"VpcPeeringConnections": pcxs})

    VPCPeeringConnections.describe_vpc_peering_connections = describe_vpc_peering_connections

    # Gap 4: DescribeTags reports NAT gateway tags with resource-type "nat-gateway"; AWS (and
    # amazon.aws.ec2_vpc_nat_gateway's filter) use "natgateway", so every rerun re-tags.
    from moto.ec2 import utils as ec2_utils

    ec2_utils.EC2_PREFIX_TO_RESOURCE["nat"] = "natgateway"

    # Gap 6: a deleted NAT gateway keeps its network interface (and the EIP stays associated with
    # it). AWS removes both once the gateway is deleted, so a VPC whose NAT gateways are gone holds
    # no ENI of theirs; teardown waits for exactly that before deleting subnets.
    from moto.ec2.models.nat_gateways import NatGatewayBackend

    orig_delete_nat = NatGatewayBackend.delete_nat_gateway

    def delete_nat_gateway(self, nat_gateway_id):  # noqa: ANN001
        nat = orig_delete_nat(self, nat_gateway_id)
        eni = getattr(nat, "_eni", None)
        if eni is not None and eni.id in self.enis:
            for address in self.addresses:
                if getattr(address, "eni", None) is eni:
                    address.eni = None
                    address.association_id = None
            self.delete_network_interface(eni.id)
        return nat

    NatGatewayBackend.delete_nat_gateway = delete_nat_gateway

    # Gap 5: an action moto does not implement (Client VPN, Image Builder...) answers HTTP 500
    # with an HTML page that botocore cannot parse. AWS answers an unknown action with a 400
    # InvalidAction error; do the same, so callers can tell "not available here" from a fault.
    from moto.core.responses import BaseResponse

    orig_call_action = BaseResponse.call_action

    def call_action(self):  # noqa: ANN001
        try:
            return orig_call_action(self)
        except NotImplementedError as exc:
            body = (
                '<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error>'
                "<Code>InvalidAction</Code><Message>%s (not implemented by the local emulator)</Message>"
                "</Error></Errors><RequestID>eks-lab</RequestID></Response>" % exc
            )
            return 400, {"Content-Type": "text/xml"}, body

    BaseResponse.call_action = call_action


class CallCounter:
    """WSGI middleware counting AWS API requests (not the lab's own endpoints)."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/eks-lab/calls":
            body = json.dumps({"calls": _CALLS["n"]}).encode()
            start_response("200 OK", [("Content-Type", "application/json")])
            return [body]
        if not path.startswith("/moto-api"):
            with _LOCK:
                _CALLS["n"] += 1
        return self.app(environ, start_response)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5055)
    args = parser.parse_args()
    os.environ.setdefault("MOTO_PORT", str(args.port))
    _apply_patches()
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(args.host, args.port, CallCounter(app), threaded=True,
               request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
