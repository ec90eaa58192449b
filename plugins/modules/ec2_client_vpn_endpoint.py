#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devsecops.eks_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ec2_client_vpn_endpoint
short_description: Manage an AWS Client VPN endpoint, its subnet associations and authorization rules
version_added: 1.0.0
description:
  - Creates, updates and deletes an AWS Client VPN endpoint identified by its C(Name) tag.
  - Mutual TLS client authentication (O(client_root_certificate_arn)) and optionally federated
    (SAML) authentication; connection logs to CloudWatch Logs; split tunnel.
  - Associates the endpoint with one subnet per AZ (O(subnet_ids)) and keeps exactly the
    O(authorization_rules) given; extra associations and rules are removed.
  - When the endpoint's API is not available (for example an emulator without Client VPN), the
    module fails with RV(unsupported=true) so a caller can skip visibly.
author:
  - DevSecOps Platform Team (@devsecops)
options:
  name:
    description: Value of the C(Name) tag that identifies the endpoint.
    type: str
    required: true
  description:
    description: Endpoint description.
    type: str
    default: ""
  state:
    description: Whether the endpoint should exist.
    type: str
    choices: [present, absent]
    default: present
  client_cidr_block:
    description: IPv4 CIDR (/12 to /22) from which client addresses are assigned. Cannot change after creation.
    type: str
  server_certificate_arn:
    description: ACM ARN of the server certificate.
    type: str
  client_root_certificate_arn:
    description: ACM ARN of the CA that signs client certificates (mutual TLS).
    type: str
  saml_provider_arn:
    description: IAM SAML provider ARN for optional federated authentication, in addition to mutual TLS.
    type: str
  vpc_id:
    description: VPC of the associated subnets and security groups.
    type: str
  security_group_ids:
    description: Security groups applied to the endpoint's network interfaces.
    type: list
    elements: str
  subnet_ids:
    description: Subnets to associate, one per AZ.
    type: list
    elements: str
    default: []
  authorization_rules:
    description: Networks clients may reach. Rules not listed are revoked.
    type: list
    elements: dict
    default: []
    suboptions:
      target_network_cidr:
        description: Destination CIDR.
        type: str
        required: true
      access_group_id:
        description: Identity provider group allowed; empty means all authenticated users.
        type: str
      description:
        description: Rule description.
        type: str
  split_tunnel:
    description: Route only the VPN's routes through the tunnel.
    type: bool
    default: true
  transport_protocol:
    description: Transport protocol. Cannot change after creation.
    type: str
    choices: [udp, tcp]
    default: udp
  vpn_port:
    description: Port the endpoint listens on.
    type: int
    choices: [443, 1194]
    default: 443
  dns_servers:
    description: DNS servers pushed to clients.
    type: list
    elements: str
  session_timeout_hours:
    description: Maximum VPN session length.
    type: int
    choices: [8, 10, 12, 24]
    default: 8
  connection_log_group:
    description: CloudWatch Logs group for connection logs; connection logging is off when unset.
    type: str
  connection_log_stream:
    description: CloudWatch Logs stream for connection logs.
    type: str
  wait:
    description: Wait for associations to finish (associate and disassociate).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait.
    type: int
    default: 900
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Client VPN to the bastion subnets only, mutual TLS, split tunnel
  devsecops.eks_platform.ec2_client_vpn_endpoint:
    name: eksplat-prod-client-vpn
    client_cidr_block: 172.31.128.0/22
    server_certificate_arn: arn:aws:acm:us-east-1:123456789012:certificate/server
    client_root_certificate_arn: arn:aws:acm:us-east-1:123456789012:certificate/client-ca
    vpc_id: vpc-0123456789abcdef0
    security_group_ids: [sg-0123456789abcdef0]
    subnet_ids: [subnet-aaaa, subnet-bbbb, subnet-cccc]
    authorization_rules:
      - target_network_cidr: 10.10.128.0/20
        description: bastions us-east-1a
    connection_log_group: /eks-platform/prod/client-vpn
    connection_log_stream: connections

- name: Remove it
  devsecops.eks_platform.ec2_client_vpn_endpoint:
    name: eksplat-prod-client-vpn
    state: absent
"""

RETURN = r"""
endpoint:
  description: The endpoint as EC2 describes it (snake_case), with its associations and rules; empty when absent.
  returned: always
  type: dict
  contains:
    client_vpn_endpoint_id:
      description: Endpoint ID.
      type: str
      sample: cvpn-endpoint-0123456789abcdef0
    associations:
      description: Associated subnet IDs.
      type: list
      elements: str
    authorization_rules:
      description: Authorized destination CIDRs.
      type: list
      elements: str
unsupported:
  description: True when the endpoint's API does not exist at the target (the module failed for that reason).
  returned: on failure
  type: bool
"""

import time

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
    compare_aws_tags,
)

from ansible_collections.devsecops.eks_platform.plugins.module_utils.ec2 import TRANSIENT_ERROR_CODES, paginate

UNSUPPORTED_CODES = ("InvalidAction", "NotImplemented", "UnsupportedOperation", "UnknownOperationException")
LIVE_ASSOC = ("associating", "associated")


# EC2's transient answers besides throttling, and IncorrectState from an endpoint still applying a
# previous change; NotFound right after a create (eventual consistency) is retried only where the
# ID came from our own create call.
TRANSIENT = TRANSIENT_ERROR_CODES + ["IncorrectState"]


@AWSRetry.jittered_backoff(retries=6, delay=2, max_delay=15,
                           catch_extra_error_codes=TRANSIENT + ["InvalidClientVpnEndpointId.NotFound"])
def _describe_new(client, endpoint_id):
    return client.describe_client_vpn_endpoints(ClientVpnEndpointIds=[endpoint_id])["ClientVpnEndpoints"]


def _auth_target(mutual, mutual_key, federated, federated_key):
    """The certificate chain or SAML provider of one authentication option (describe and create
    spell the keys differently)."""
    return (mutual or {}).get(mutual_key) or (federated or {}).get(federated_key)


class ClientVpn(object):
    def __init__(self, module, client):
        self.module = module
        self.client = client
        self.p = module.params
        self.changed = False

    def fail(self, e, msg):
        self.module.fail_json_aws(e, msg=msg)

    # ---- reads
    def find(self):
        try:
            found = paginate(self.client, "describe_client_vpn_endpoints", "ClientVpnEndpoints",
                             Filters=[{"Name": "tag:Name", "Values": [self.p["name"]]}])
        except is_boto3_error_code(UNSUPPORTED_CODES) as e:
            self.module.fail_json(msg="The Client VPN API is not available at this endpoint: %s" % e, unsupported=True)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
            self.fail(e, "Failed to describe Client VPN endpoints")
        # an endpoint being deleted is not live: a new one may be created next to it
        found = [e for e in found if e.get("Status", {}).get("Code") not in ("deleting", "deleted")]
        if len(found) > 1:
            self.module.fail_json(msg="%d Client VPN endpoints are tagged Name=%s; expected one"
                                  % (len(found), self.p["name"]))
        return found[0] if found else None

    def target_networks(self, endpoint_id):
        try:
            return paginate(self.client, "describe_client_vpn_target_networks", "ClientVpnTargetNetworks",
                            ClientVpnEndpointId=endpoint_id)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self.fail(e, "Failed to describe the target networks of %s" % endpoint_id)

    def associations(self, endpoint_id):
        return dict((n["TargetNetworkId"], n["AssociationId"]) for n in self.target_networks(endpoint_id)
                    if n.get("Status", {}).get("Code") in LIVE_ASSOC)

    def rules(self, endpoint_id):
        try:
            rules = paginate(self.client, "describe_client_vpn_authorization_rules", "AuthorizationRules",
                             ClientVpnEndpointId=endpoint_id)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self.fail(e, "Failed to describe the authorization rules of %s" % endpoint_id)
        return dict((r["DestinationCidr"], r) for r in rules
                    if r.get("Status", {}).get("Code") in ("authorizing", "active"))

    def snapshot(self, endpoint):
        if not endpoint:
            return {}
        out = camel_dict_to_snake_dict(endpoint, ignore_list=["Tags"])
        out["tags"] = boto3_tag_list_to_ansible_dict(out.pop("tags", []))
        if not endpoint["ClientVpnEndpointId"].startswith("cvpn-endpoint-check"):
            out["associations"] = sorted(self.associations(endpoint["ClientVpnEndpointId"]))
            out["authorization_rules"] = sorted(self.rules(endpoint["ClientVpnEndpointId"]))
        return out

    # ---- writes
    def auth_options(self):
        opts = [{"Type": "certificate-authentication",
                 "MutualAuthentication": {"ClientRootCertificateChainArn": self.p["client_root_certificate_arn"]}}]
        if self.p["saml_provider_arn"]:
            opts.append({"Type": "federated-authentication",
                         "FederatedAuthentication": {"SAMLProviderArn": self.p["saml_provider_arn"]}})
        return opts

    def log_options(self):
        if not self.p["connection_log_group"]:
            return {"Enabled": False}
        opts = {"Enabled": True, "CloudwatchLogGroup": self.p["connection_log_group"]}
        if self.p["connection_log_stream"]:
            opts["CloudwatchLogStream"] = self.p["connection_log_stream"]
        return opts

    def create(self):
        for req in ("client_cidr_block", "server_certificate_arn", "client_root_certificate_arn"):
            if not self.p[req]:
                self.module.fail_json(msg="%s is required to create a Client VPN endpoint" % req)
        self.changed = True
        if self.module.check_mode:
            return {"ClientVpnEndpointId": "cvpn-endpoint-check-mode", "ClientCidrBlock": self.p["client_cidr_block"],
                    "Tags": ansible_dict_to_boto3_tag_list(self.wanted_tags())}
        request = dict(
            ClientCidrBlock=self.p["client_cidr_block"],
            ServerCertificateArn=self.p["server_certificate_arn"],
            AuthenticationOptions=self.auth_options(),
            ConnectionLogOptions=self.log_options(),
            Description=self.p["description"],
            SplitTunnel=self.p["split_tunnel"],
            TransportProtocol=self.p["transport_protocol"],
            VpnPort=self.p["vpn_port"],
            SessionTimeoutHours=self.p["session_timeout_hours"],
            TagSpecifications=[{"ResourceType": "client-vpn-endpoint",
                                "Tags": ansible_dict_to_boto3_tag_list(self.wanted_tags())}],
        )
        if self.p["dns_servers"]:
            request["DnsServers"] = self.p["dns_servers"]
        if self.p["vpc_id"]:
            request["VpcId"] = self.p["vpc_id"]
        if self.p["security_group_ids"]:
            request["SecurityGroupIds"] = self.p["security_group_ids"]
        try:
            endpoint_id = self.client.create_client_vpn_endpoint(aws_retry=True, **request)["ClientVpnEndpointId"]
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self.fail(e, "Failed to create Client VPN endpoint")
        return self.describe(endpoint_id)

    def describe(self, endpoint_id):
        try:
            found = _describe_new(self.client, endpoint_id)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self.fail(e, "Failed to describe Client VPN endpoint %s" % endpoint_id)
        if not found:
            self.module.fail_json(msg="Client VPN endpoint %s is gone" % endpoint_id)
        return found[0]

    def wanted_tags(self):
        return dict(self.p["tags"] or {}, Name=self.p["name"])

    def unchangeable(self, ep):
        """What the request asks that ModifyClientVpnEndpoint cannot do: only a new endpoint can."""
        wrong = []
        if self.p["client_cidr_block"] and ep.get("ClientCidrBlock") != self.p["client_cidr_block"]:
            wrong.append("client_cidr_block (%s, wanted %s)" % (ep.get("ClientCidrBlock"), self.p["client_cidr_block"]))
        if ep.get("TransportProtocol", self.p["transport_protocol"]) != self.p["transport_protocol"]:
            wrong.append("transport_protocol (%s, wanted %s)" % (ep.get("TransportProtocol"), self.p["transport_protocol"]))
        have_auth = sorted((a.get("Type"), _auth_target(a.get("MutualAuthentication"), "ClientRootCertificateChain",
                                                        a.get("FederatedAuthentication"), "SamlProviderArn"))
                           for a in ep.get("AuthenticationOptions", []))
        want_auth = sorted((a["Type"], _auth_target(a.get("MutualAuthentication"), "ClientRootCertificateChainArn",
                                                    a.get("FederatedAuthentication"), "SAMLProviderArn"))
                           for a in self.auth_options())
        if ep.get("AuthenticationOptions") is not None and self.p["client_root_certificate_arn"] and have_auth != want_auth:
            wrong.append("authentication (client_root_certificate_arn / saml_provider_arn: %s, wanted %s)"
                         % ([a[1] for a in have_auth], [a[1] for a in want_auth]))
        if wrong:
            self.module.fail_json(msg="Client VPN endpoint %s: %s cannot be changed on an existing endpoint; "
                                      "delete it (state=absent) and create it again"
                                  % (ep["ClientVpnEndpointId"], "; ".join(wrong)))

    def update(self, ep):
        self.unchangeable(ep)
        mods = {}
        if ep.get("ServerCertificateArn") != self.p["server_certificate_arn"] and self.p["server_certificate_arn"]:
            mods["ServerCertificateArn"] = self.p["server_certificate_arn"]
        if ep.get("SplitTunnel") != self.p["split_tunnel"]:
            mods["SplitTunnel"] = self.p["split_tunnel"]
        if ep.get("VpnPort") != self.p["vpn_port"]:
            mods["VpnPort"] = self.p["vpn_port"]
        if ep.get("Description", "") != self.p["description"]:
            mods["Description"] = self.p["description"]
        if ep.get("SessionTimeoutHours", 8) != self.p["session_timeout_hours"]:
            mods["SessionTimeoutHours"] = self.p["session_timeout_hours"]
        have_log = ep.get("ConnectionLogOptions", {})
        want_log = self.log_options()
        # Without a stream asked for, AWS creates one and reports its generated name: not a difference.
        log_target_differs = any(have_log.get(k) != want_log.get(k) for k in ("CloudwatchLogGroup", "CloudwatchLogStream")
                                 if k in want_log)
        if bool(have_log.get("Enabled")) != want_log["Enabled"] or (want_log["Enabled"] and log_target_differs):
            mods["ConnectionLogOptions"] = want_log
        if self.p["dns_servers"] is not None and sorted(ep.get("DnsServers", [])) != sorted(self.p["dns_servers"]):
            mods["DnsServers"] = {"CustomDnsServers": self.p["dns_servers"], "Enabled": bool(self.p["dns_servers"])}
        if self.p["security_group_ids"] is not None and sorted(ep.get("SecurityGroupIds", [])) != sorted(self.p["security_group_ids"]):
            mods["SecurityGroupIds"] = self.p["security_group_ids"]
            mods["VpcId"] = self.p["vpc_id"] or ep.get("VpcId")
        if mods:
            self.changed = True
            if not self.module.check_mode:
                try:
                    self.client.modify_client_vpn_endpoint(aws_retry=True, ClientVpnEndpointId=ep["ClientVpnEndpointId"], **mods)
                except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                    self.fail(e, "Failed to modify Client VPN endpoint %s" % ep["ClientVpnEndpointId"])
        self.sync_tags(ep)

    def sync_tags(self, ep):
        current = boto3_tag_list_to_ansible_dict(ep.get("Tags", []))
        to_set, to_unset = compare_aws_tags(current, self.wanted_tags(), self.p["purge_tags"])
        if not (to_set or to_unset):
            return
        self.changed = True
        if self.module.check_mode:
            return
        eid = ep["ClientVpnEndpointId"]
        try:
            if to_unset:
                self.client.delete_tags(aws_retry=True, Resources=[eid], Tags=[{"Key": k} for k in to_unset])
            if to_set:
                self.client.create_tags(aws_retry=True, Resources=[eid], Tags=ansible_dict_to_boto3_tag_list(to_set))
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self.fail(e, "Failed to tag Client VPN endpoint %s" % eid)

    def sync_associations(self, endpoint_id):
        if endpoint_id.startswith("cvpn-endpoint-check"):
            self.changed = self.changed or bool(self.p["subnet_ids"])
            return
        have = self.associations(endpoint_id)
        want = set(self.p["subnet_ids"])
        for subnet in sorted(want - set(have)):
            self.changed = True
            if not self.module.check_mode:
                try:
                    self.client.associate_client_vpn_target_network(aws_retry=True, ClientVpnEndpointId=endpoint_id, SubnetId=subnet)
                except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                    self.fail(e, "Failed to associate subnet %s" % subnet)
        for subnet in sorted(set(have) - want):
            self.changed = True
            if not self.module.check_mode:
                self.disassociate(endpoint_id, have[subnet])
        if self.changed and self.p["wait"] and not self.module.check_mode:
            self.wait_associations(endpoint_id, want)

    def disassociate(self, endpoint_id, association_id):
        try:
            self.client.disassociate_client_vpn_target_network(
                aws_retry=True, ClientVpnEndpointId=endpoint_id, AssociationId=association_id)
        except is_boto3_error_code("InvalidClientVpnAssociationId.NotFound"):
            pass
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
            self.fail(e, "Failed to disassociate %s" % association_id)

    def wait_associations(self, endpoint_id, want):
        deadline = time.time() + self.p["wait_timeout"]
        while time.time() < deadline:
            nets = self.target_networks(endpoint_id)
            states = dict((n["TargetNetworkId"], n.get("Status", {}).get("Code")) for n in nets)
            failed = dict((n["TargetNetworkId"], n.get("Status", {}).get("Message", ""))
                          for n in nets if n.get("Status", {}).get("Code") == "association-failed" and n["TargetNetworkId"] in want)
            if failed:
                self.module.fail_json(msg="Client VPN association failed for %s"
                                      % ", ".join("%s (%s)" % kv for kv in sorted(failed.items())))
            done_add = all(states.get(s) == "associated" for s in want)
            done_remove = all(states.get(s) in (None, "disassociated") for s in set(states) - set(want))
            if done_add and done_remove:
                return
            time.sleep(10)
        self.module.fail_json(msg="Timed out waiting for Client VPN associations of %s" % endpoint_id)

    def sync_rules(self, endpoint_id):
        if endpoint_id.startswith("cvpn-endpoint-check"):
            self.changed = self.changed or bool(self.p["authorization_rules"])
            return
        have = self.rules(endpoint_id)
        want = dict((r["target_network_cidr"], r) for r in self.p["authorization_rules"])
        for cidr in sorted(set(want) - set(have)):
            self.changed = True
            if self.module.check_mode:
                continue
            rule = want[cidr]
            req = dict(ClientVpnEndpointId=endpoint_id, TargetNetworkCidr=cidr, Description=rule.get("description") or "")
            if rule.get("access_group_id"):
                req["AccessGroupId"] = rule["access_group_id"]
            else:
                req["AuthorizeAllGroups"] = True
            try:
                self.client.authorize_client_vpn_ingress(aws_retry=True, **req)
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                self.fail(e, "Failed to authorize %s" % cidr)
        for cidr in sorted(set(have) - set(want)):
            self.changed = True
            if self.module.check_mode:
                continue
            req = dict(ClientVpnEndpointId=endpoint_id, TargetNetworkCidr=cidr)
            if have[cidr].get("GroupId"):
                req["AccessGroupId"] = have[cidr]["GroupId"]
            else:
                req["RevokeAllGroups"] = True
            try:
                self.client.revoke_client_vpn_ingress(aws_retry=True, **req)
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                self.fail(e, "Failed to revoke %s" % cidr)

    def delete(self, ep):
        self.changed = True
        if self.module.check_mode:
            return
        eid = ep["ClientVpnEndpointId"]
        have = self.associations(eid)
        for association_id in have.values():
            self.disassociate(eid, association_id)
        if have and self.p["wait"]:
            self.wait_associations(eid, set())
        try:
            self.client.delete_client_vpn_endpoint(aws_retry=True, ClientVpnEndpointId=eid)
        except is_boto3_error_code("InvalidClientVpnEndpointId.NotFound"):
            pass
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
            self.fail(e, "Failed to delete Client VPN endpoint %s" % eid)


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        description=dict(type="str", default=""),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        client_cidr_block=dict(type="str"),
        server_certificate_arn=dict(type="str"),
        client_root_certificate_arn=dict(type="str"),
        saml_provider_arn=dict(type="str"),
        vpc_id=dict(type="str"),
        security_group_ids=dict(type="list", elements="str"),
        subnet_ids=dict(type="list", elements="str", default=[]),
        authorization_rules=dict(type="list", elements="dict", default=[], options=dict(
            target_network_cidr=dict(type="str", required=True),
            access_group_id=dict(type="str"),
            description=dict(type="str"),
        )),
        split_tunnel=dict(type="bool", default=True),
        transport_protocol=dict(type="str", default="udp", choices=["udp", "tcp"]),
        vpn_port=dict(type="int", default=443, choices=[443, 1194]),
        dns_servers=dict(type="list", elements="str"),
        session_timeout_hours=dict(type="int", default=8, choices=[8, 10, 12, 24]),
        connection_log_group=dict(type="str"),
        connection_log_stream=dict(type="str"),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=900),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff(catch_extra_error_codes=TRANSIENT))
    cvpn = ClientVpn(module, client)

    existing = cvpn.find()
    before = cvpn.snapshot(existing)
    if module.params["state"] == "absent":
        if existing:
            cvpn.delete(existing)
        after = {}
    else:
        endpoint = existing
        if endpoint is None:
            endpoint = cvpn.create()
        else:
            cvpn.update(endpoint)
        cvpn.sync_associations(endpoint["ClientVpnEndpointId"])
        cvpn.sync_rules(endpoint["ClientVpnEndpointId"])
        if module.check_mode or endpoint["ClientVpnEndpointId"].startswith("cvpn-endpoint-check"):
            after = dict(cvpn.snapshot(endpoint), associations=sorted(module.params["subnet_ids"]),
                         authorization_rules=sorted(r["target_network_cidr"] for r in module.params["authorization_rules"]))
        else:
            after = cvpn.snapshot(cvpn.describe(endpoint["ClientVpnEndpointId"]) if cvpn.changed else endpoint)
    module.exit_json(changed=cvpn.changed, endpoint=after, diff={"before": before, "after": after})


if __name__ == "__main__":
    main()
