"""moto server with the lab's fixes for known moto gaps, and an API-call counter.

Run as ``python -m eks_lab.moto_patched -H 127.0.0.1 -p PORT``. Roles and playbooks
never know they talk to moto; where moto deviates from AWS in a way that would break
a correct playbook, the fix lives here (and is listed in docs/lab.md). Where moto forgives
what AWS punishes, eks_lab.faults makes it strict (on by default, EKS_LAB_FAULTS=off).
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

    # Gap 7: ModifyInstanceMetadataOptions drops every option the call does not name (moto answers
    # HttpEndpoint and the rest as absent). AWS keeps them; amazon.aws.ec2_instance then sends the
    # absent ones back as None and fails, so a drifted IMDSv1 instance could never be repaired here.
    from moto.ec2.models.instances import InstanceBackend

    orig_modify_md = InstanceBackend.modify_instance_metadata_options

    def modify_instance_metadata_options(self, instance_id, http_tokens=None, hop_limit=None,  # noqa: ANN001
                                         http_endpoint=None, dry_run=False, http_protocol=None, metadata_tags=None):
        old = self.get_instance(instance_id).metadata_options
        return orig_modify_md(
            self, instance_id,
            http_tokens=http_tokens if http_tokens is not None else old.http_tokens,
            hop_limit=hop_limit if hop_limit is not None else old.http_put_response_hop_limit,
            http_endpoint=http_endpoint if http_endpoint is not None else old.http_endpoint,
            dry_run=dry_run,
            http_protocol=http_protocol if http_protocol is not None else old.http_protocol_ipv6,
            metadata_tags=metadata_tags if metadata_tags is not None else old.instance_metadata_tags)

    InstanceBackend.modify_instance_metadata_options = modify_instance_metadata_options

    # Gap 8: a security group rule to a prefix list loses its Description (moto keeps the ID only).
    # AWS keeps it; amazon.aws.ec2_security_group then sees a changed description on every run and
    # tries to update it. Keep the description, and answer the update calls as AWS does (Gap 9:
    # UpdateSecurityGroupRuleDescriptions* answer without Return, and the module fails on that).
    from moto.ec2.models.security_groups import SecurityGroup, SecurityGroupRule
    from moto.ec2.responses.security_groups import SecurityGroups

    import inspect

    orig_rule_init = SecurityGroupRule.__init__
    rule_signature = inspect.signature(orig_rule_init)

    def rule_init(self, *args, **kwargs):  # noqa: ANN001
        orig_rule_init(self, *args, **kwargs)
        pl = rule_signature.bind(self, *args, **kwargs).arguments.get("prefix_list_id")
        self._pl_description = (pl or {}).get("Description")

    SecurityGroupRule.__init__ = rule_init
    orig_flatten = SecurityGroup._flattened_rules

    def _flattened_rules(self, rules):  # noqa: ANN001
        views = orig_flatten(self, rules)
        described = {(r.from_port, r.to_port, r.ip_protocol, r.prefix_list_id): r._pl_description
                     for r in rules if r.prefix_list_id and getattr(r, "_pl_description", None)}
        for view in views:
            for entry in view.prefix_list_ids:
                desc = described.get((view.from_port, view.to_port, view.ip_protocol, entry["PrefixListId"]))
                if desc:
                    entry["Description"] = desc
        return views

    SecurityGroup._flattened_rules = _flattened_rules

    for name in ("update_security_group_rule_descriptions_ingress", "update_security_group_rule_descriptions_egress"):
        orig_update = getattr(SecurityGroups, name)

        def update(self, _orig=orig_update):  # noqa: ANN001
            _orig(self)
            return ActionResult({"Return": True})

        setattr(SecurityGroups, name, update)

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

    # Gap 10: ScheduleKeyDeletion given a key ARN (as amazon.aws.kms_key gives it) fails with a
    # KeyError, an HTTP 500: AWS takes a key ID or ARN there, as moto does elsewhere.
    from moto.kms.models import KmsBackend

    orig_schedule = KmsBackend.schedule_key_deletion

    def schedule_key_deletion(self, key_id, pending_window_in_days):  # noqa: ANN001
        return orig_schedule(self, self.get_key_id(key_id), pending_window_in_days)

    KmsBackend.schedule_key_deletion = schedule_key_deletion

    patch_elbv2()

    # Gap 12: GetCertificate of an imported certificate answers the chain it was given plus an
    # Amazon root CA. ACM answers the chain as imported, and community.aws.acm_certificate compares
    # it: every run would import the certificate again.
    from moto.acm.models import CertBundle

    orig_bundle_init = CertBundle.__init__

    def bundle_init(self, *args, **kwargs):  # noqa: ANN001
        orig_bundle_init(self, *args, **kwargs)
        chain = kwargs.get("chain")
        if kwargs.get("cert_type", "IMPORTED") == "IMPORTED" and chain:
            self.chain = chain

    CertBundle.__init__ = bundle_init

    # Gap 13: ChangeResourceRecordSets refuses a CREATE that repeats an earlier change of the zone
    # ("but it already exists") whenever any record set sorts at or after its name, whatever its
    # set identifier. Route 53 refuses only a record of the same name, type and set identifier, so
    # a deleted latency record could never be created again. Check that, then let moto upsert.
    from moto.route53.exceptions import ResourceRecordAlreadyExists
    from moto.route53.models import Route53Backend

    orig_change_rrsets = Route53Backend.change_resource_record_sets

    def change_resource_record_sets(self, zoneid, change_list):  # noqa: ANN001
        zone = self.get_hosted_zone(zoneid)
        changes = []
        for change in change_list:
            rrset = change["ResourceRecordSet"]
            if change["Action"] == "CREATE":
                name = rrset["Name"].rstrip(".").lower() + "."
                for existing in zone.rrsets:
                    if (existing.name.rstrip(".").lower() + ".", existing.type, existing.set_identifier) == (
                            name, rrset["Type"], rrset.get("SetIdentifier")):
                        raise ResourceRecordAlreadyExists(name=name, _type=rrset["Type"])
                change = dict(change, Action="UPSERT")
            changes.append(change)
        return orig_change_rrsets(self, zoneid, changes)

    Route53Backend.change_resource_record_sets = change_resource_record_sets


_ELBV2_PATCHED = []


def patch_elbv2() -> None:
    """Gap 11: a network load balancer gets an application one's ARN (loadbalancer/app/...), so its
    CloudWatch dimension (net/<name>/<id>) is wrong; and its AvailabilityZones omit the Elastic IP
    of each subnet mapping (LoadBalancerAddresses), so a module comparing its mappings finds every
    EIP gone. AWS answers both. (Also used by the unit tests' in-process moto; applied once.)"""
    if _ELBV2_PATCHED:
        return
    _ELBV2_PATCHED.append(True)
    from moto.elbv2 import models as elbv2_models

    orig_make_arn = elbv2_models.make_arn_for_load_balancer
    orig_create = elbv2_models.ELBv2Backend.create_load_balancer
    orig_set_subnets = elbv2_models.ELBv2Backend.set_subnets
    local = threading.local()

    def make_arn(account_id, lb_id, name, region_name):  # noqa: ANN001
        arn = orig_make_arn(account_id=account_id, lb_id=lb_id, name=name, region_name=region_name)
        return arn.replace(":loadbalancer/app/", ":loadbalancer/net/") if getattr(local, "network", False) else arn

    elbv2_models.make_arn_for_load_balancer = make_arn

    def _allocations(mappings):  # noqa: ANN001
        return {m["SubnetId"]: m["AllocationId"] for m in mappings or [] if m.get("AllocationId")}

    def create_load_balancer(self, *args, **kwargs):  # noqa: ANN001
        local.network = kwargs.get("loadbalancer_type") == "network"
        try:
            lb = orig_create(self, *args, **kwargs)
        finally:
            local.network = False
        lb._allocations = _allocations(kwargs.get("subnet_mappings"))
        return lb

    def set_subnets(self, arn, subnets, subnet_mappings):  # noqa: ANN001
        zones = orig_set_subnets(self, arn, subnets, subnet_mappings)
        lb = self.load_balancers[arn]
        lb._allocations = dict(getattr(lb, "_allocations", {}), **_allocations(subnet_mappings))
        return zones

    def availability_zones(self):  # noqa: ANN001
        zones = []
        for subnet in self.subnets:
            zone = elbv2_models.AvailabilityZone(subnet)
            allocation = getattr(self, "_allocations", {}).get(subnet.id)
            if allocation:
                zone.load_balancer_addresses = [{"AllocationId": allocation}]
            zones.append(zone)
        return zones

    elbv2_models.ELBv2Backend.create_load_balancer = create_load_balancer
    elbv2_models.ELBv2Backend.set_subnets = set_subnets
    elbv2_models.FakeLoadBalancer.availability_zones = property(availability_zones)


class CallCounter:
    """WSGI middleware counting AWS API requests (not the lab's own endpoints)."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/eks-lab/calls":
            from .faults import SETTINGS

            body = json.dumps({"calls": _CALLS["n"], "faults": sorted(SETTINGS.kinds),
                               "fault_seconds": SETTINGS.seconds}).encode()
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
    from . import eks_extra, faults, synthetics_extra

    eks_extra.apply()
    synthetics_extra.apply()
    faults.apply(faults.settings_from_env())
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(args.host, args.port, CallCounter(app), threaded=True,
               request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
