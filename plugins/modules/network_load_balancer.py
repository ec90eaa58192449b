#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devsecops.eks_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: network_load_balancer
short_description: A Network Load Balancer with security groups, Elastic IPs, access logs and its listeners
version_added: 1.1.0
description:
  - Creates, updates or deletes an internet-facing or internal Network Load Balancer (ELBv2) with its subnet
    mappings (one subnet per AZ, each with an Elastic IP allocation), its security groups, its attributes (cross-zone
    load balancing, deletion protection, access logs to S3), its tags and its TCP or TLS listeners.
  - C(community.aws.elb_network_lb) cannot give an NLB security groups, and AWS cannot add security groups to an NLB
    created without them, nor set its access logs; this module does both. An NLB found without security groups is
    refused, naming it, instead of being replaced.
  - A subnet can be added to an existing load balancer (SetSubnets); a mapping that would be removed or given
    another Elastic IP is refused (it needs a new load balancer, hence a new DNS name and addresses).
  - Listeners are keyed by port; listeners on other ports are deleted.
  - Waits with botocore's C(load_balancer_available) and C(load_balancers_deleted) waiters. Throttling, internal
    errors and service unavailability are retried; so is C(ResourceInUse) while a deletion waits on another.
author:
  - DevSecOps Platform Team (@devsecops)
options:
  name:
    description: Name of the load balancer (32 characters at most).
    type: str
    required: true
  state:
    description: Whether the load balancer exists.
    type: str
    choices: [present, absent]
    default: present
  scheme:
    description: C(internet-facing) or C(internal). Fixed at creation.
    type: str
    choices: [internet-facing, internal]
    default: internet-facing
  subnet_mappings:
    description: One subnet per AZ, each with the allocation ID of its Elastic IP (internet-facing).
    type: list
    elements: dict
    suboptions:
      subnet_id:
        description: Subnet ID.
        type: str
        required: true
      allocation_id:
        description: Elastic IP allocation ID.
        type: str
  security_groups:
    description: Security group IDs (at least one when I(state=present)).
    type: list
    elements: str
    default: []
  cross_zone_load_balancing:
    description: Whether each node balances over the targets of every AZ.
    type: bool
    default: false
  deletion_protection:
    description:
      - Whether the load balancer refuses deletion. With I(state=absent) and V(false), a protected load balancer has its
        protection turned off first; with V(true) its deletion is refused by AWS.
    type: bool
    default: false
  access_logs:
    description: Access logs (TLS listeners) to an S3 bucket whose policy lets the region's log delivery write.
    type: dict
    suboptions:
      bucket:
        description: Bucket name; empty turns access logs off.
        type: str
        default: ""
      prefix:
        description: Key prefix.
        type: str
        default: ""
  listeners:
    description: The listeners; each forwards to one target group.
    type: list
    elements: dict
    default: []
    suboptions:
      port:
        description: Port.
        type: int
        required: true
      protocol:
        description: C(TCP) (pass-through) or C(TLS) (terminated here).
        type: str
        choices: [TCP, TLS, UDP, TCP_UDP]
        required: true
      target_group_arn:
        description: Target group the listener forwards to.
        type: str
        required: true
      certificate_arn:
        description: ACM certificate (C(TLS) only).
        type: str
      ssl_policy:
        description: Security policy (C(TLS) only), such as C(ELBSecurityPolicy-TLS13-1-2-2021-06).
        type: str
      alpn_policy:
        description: ALPN policy (C(TLS) only), such as C(HTTP2Preferred).
        type: str
  tags:
    description: Tags.
    type: dict
    default: {}
  purge_tags:
    description: Remove tags not in I(tags).
    type: bool
    default: true
  wait:
    description: Wait until the load balancer is active (or deleted).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait.
    type: int
    default: 600
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The stack's NLB on one Elastic IP per AZ, TLS to the ingress proxies
  devsecops.eks_platform.network_load_balancer:
    name: eksplat-us-east-1
    subnet_mappings:
      - {subnet_id: subnet-0a, allocation_id: eipalloc-0a}
      - {subnet_id: subnet-0b, allocation_id: eipalloc-0b}
    security_groups: [sg-0123]
    cross_zone_load_balancing: true
    access_logs: {bucket: eksplat-us-east-1-lb-logs, prefix: nlb}
    listeners:
      - port: 443
        protocol: TLS
        certificate_arn: arn:aws:acm:us-east-1:123456789012:certificate/0f1e
        ssl_policy: ELBSecurityPolicy-TLS13-1-2-2021-06
        target_group_arn: arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/ingress/0a1b
"""

RETURN = r"""
changes:
  description: What the run changed (or would change in check mode).
  returned: always
  type: list
  elements: str
  sample: [created, listener 443 created]
load_balancer:
  description: The load balancer after the run (empty when absent, or about to be created in check mode).
  returned: always
  type: dict
  contains:
    arn: {description: ARN., type: str, returned: when it exists}
    arn_suffix: {description: "The ARN's C(net/<name>/<id>), CloudWatch's C(LoadBalancer) dimension.", type: str, returned: when it exists}
    dns_name: {description: DNS name., type: str, returned: when it exists}
    canonical_hosted_zone_id: {description: Route 53 zone of the DNS name (alias records)., type: str, returned: when it exists}
    vpc_id: {description: VPC., type: str, returned: when it exists}
    security_groups: {description: Security group IDs., type: list, elements: str, returned: when it exists}
    subnet_mappings: {description: Subnet and Elastic IP allocation per AZ., type: list, elements: dict, returned: when it exists}
    attributes: {description: The managed attributes., type: dict, returned: when it exists}
    listeners: {description: Listeners by port., type: dict, returned: when it exists}
    tags: {description: Tags., type: dict, returned: when it exists}
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.devsecops.eks_platform.plugins.module_utils.ec2 import paginate

# ELBv2's transient answers besides throttling; ResourceInUse: a listener or target group still
# referenced while a previous deletion settles.
TRANSIENT = ["InternalFailure", "ServiceUnavailable", "ResourceInUse"]
ERRORS = (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) if "botocore" in globals() else ()


def _listener_want(spec):
    want = {"Port": spec["port"], "Protocol": spec["protocol"], "TargetGroupArn": spec["target_group_arn"]}
    if spec["protocol"] == "TLS":
        want.update(CertificateArn=spec.get("certificate_arn"), SslPolicy=spec.get("ssl_policy"),
                    AlpnPolicy=spec.get("alpn_policy") or "None")
    return want


def _listener_have(listener):
    have = {"Port": listener["Port"], "Protocol": listener["Protocol"],
            "TargetGroupArn": (listener.get("DefaultActions") or [{}])[0].get("TargetGroupArn")}
    if listener["Protocol"] == "TLS":
        have.update(CertificateArn=(listener.get("Certificates") or [{}])[0].get("CertificateArn"),
                    SslPolicy=listener.get("SslPolicy"), AlpnPolicy=(listener.get("AlpnPolicy") or ["None"])[0])
    return have


def _listener_params(want):
    params = {"Port": want["Port"], "Protocol": want["Protocol"],
              "DefaultActions": [{"Type": "forward", "TargetGroupArn": want["TargetGroupArn"]}]}
    if want["Protocol"] == "TLS":
        params["Certificates"] = [{"CertificateArn": want["CertificateArn"]}]
        params["SslPolicy"] = want["SslPolicy"]
        if want["AlpnPolicy"] != "None":
            params["AlpnPolicy"] = [want["AlpnPolicy"]]
    return params


class NLB(object):
    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.client = module.client("elbv2", retry_decorator=AWSRetry.jittered_backoff(catch_extra_error_codes=TRANSIENT))
        self.changes = []

    def fail(self, e, msg):
        self.module.fail_json_aws(e, msg="%s (load balancer %s)" % (msg, self.p["name"]))

    def find(self):
        try:
            found = self.client.describe_load_balancers(Names=[self.p["name"]], aws_retry=True)["LoadBalancers"]
        except botocore.exceptions.ClientError as e:
            if e.response["Error"]["Code"] == "LoadBalancerNotFound":
                return None
            self.fail(e, "Failed to read")
        except botocore.exceptions.BotoCoreError as e:
            self.fail(e, "Failed to read")
        return found[0] if found else None

    def snapshot(self, lb):
        if lb is None:
            return {}
        arn = lb["LoadBalancerArn"]
        try:
            attrs = {a["Key"]: a["Value"] for a in self.client.describe_load_balancer_attributes(
                LoadBalancerArn=arn, aws_retry=True)["Attributes"]}
            listeners = paginate(self.client, "describe_listeners", "Listeners", LoadBalancerArn=arn)
            tags = self.client.describe_tags(ResourceArns=[arn], aws_retry=True)["TagDescriptions"]
        except ERRORS as e:
            self.fail(e, "Failed to read the attributes, listeners or tags")
        return {
            "arn": arn,
            "arn_suffix": arn.split(":loadbalancer/", 1)[1],
            "dns_name": lb.get("DNSName"),
            "canonical_hosted_zone_id": lb.get("CanonicalHostedZoneId"),
            "vpc_id": lb.get("VpcId"),
            "type": lb.get("Type"),
            "scheme": lb.get("Scheme"),
            "security_groups": sorted(lb.get("SecurityGroups") or []),
            "subnet_mappings": sorted(
                ({"subnet_id": az["SubnetId"],
                  "allocation_id": (az.get("LoadBalancerAddresses") or [{}])[0].get("AllocationId")}
                 for az in lb.get("AvailabilityZones", [])), key=lambda m: m["subnet_id"]),
            "attributes": {k: attrs.get(k, "") for k in self.wanted_attributes()},
            "listeners": {str(x["Port"]): dict(_listener_have(x), ListenerArn=x["ListenerArn"]) for x in listeners},
            "tags": {t["Key"]: t["Value"] for t in (tags[0]["Tags"] if tags else [])},
        }

    def wanted_attributes(self):
        logs = self.p["access_logs"] or {}
        return {
            "load_balancing.cross_zone.enabled": str(self.p["cross_zone_load_balancing"]).lower(),
            "deletion_protection.enabled": str(self.p["deletion_protection"]).lower(),
            "access_logs.s3.enabled": str(bool(logs.get("bucket"))).lower(),
            "access_logs.s3.bucket": logs.get("bucket") or "",
            "access_logs.s3.prefix": logs.get("prefix") or "",
        }

    def wanted_mappings(self):
        return sorted(({"subnet_id": m["subnet_id"], "allocation_id": m.get("allocation_id")}
                       for m in self.p["subnet_mappings"]), key=lambda m: m["subnet_id"])

    @staticmethod
    def _mapping_params(mappings):
        return [dict({"SubnetId": m["subnet_id"]}, **({"AllocationId": m["allocation_id"]} if m["allocation_id"] else {}))
                for m in mappings]

    def wait(self, waiter, arn):
        if not self.p["wait"]:
            return
        try:
            self.client.get_waiter(waiter).wait(
                LoadBalancerArns=[arn], WaiterConfig={"Delay": 15, "MaxAttempts": max(1, self.p["wait_timeout"] // 15)})
        except botocore.exceptions.WaiterError as e:
            self.fail(e, "Timed out after %ss waiting for %s" % (self.p["wait_timeout"], waiter))

    def create(self):
        self.changes.append("created")
        if self.module.check_mode:
            return None
        try:
            lb = self.client.create_load_balancer(
                Name=self.p["name"], Type="network", Scheme=self.p["scheme"], IpAddressType="ipv4",
                SubnetMappings=self._mapping_params(self.wanted_mappings()), SecurityGroups=self.p["security_groups"],
                Tags=[{"Key": k, "Value": v} for k, v in sorted(self.p["tags"].items())], aws_retry=True,
            )["LoadBalancers"][0]
        except ERRORS as e:
            self.fail(e, "Failed to create")
        self.wait("load_balancer_available", lb["LoadBalancerArn"])
        return lb

    def update_network(self, lb, have):
        if have["type"] != "network":
            self.module.fail_json(msg="Load balancer %s is a %s load balancer, not a network one" % (self.p["name"], have["type"]))
        if not have["security_groups"]:
            self.module.fail_json(msg="Load balancer %s was created without security groups, which AWS cannot add to an NLB: "
                                      "delete it (state=absent) so that it is created with them" % self.p["name"])
        want_maps = self.wanted_mappings()
        lost = [m for m in have["subnet_mappings"] if m not in want_maps]
        if lost:
            self.module.fail_json(msg="Load balancer %s: subnet mapping(s) %s would be removed or get another Elastic IP, "
                                      "which needs a new load balancer (new DNS name and addresses)" % (self.p["name"], lost))
        if want_maps != have["subnet_mappings"]:
            self.changes.append("subnets")
            if not self.module.check_mode:
                try:
                    self.client.set_subnets(LoadBalancerArn=have["arn"], SubnetMappings=self._mapping_params(want_maps), aws_retry=True)
                except ERRORS as e:
                    self.fail(e, "Failed to add subnets")
        if sorted(self.p["security_groups"]) != have["security_groups"]:
            self.changes.append("security groups")
            if not self.module.check_mode:
                try:
                    self.client.set_security_groups(LoadBalancerArn=have["arn"], SecurityGroups=self.p["security_groups"], aws_retry=True)
                except ERRORS as e:
                    self.fail(e, "Failed to set the security groups")

    def update_attributes(self, arn, have):
        want = self.wanted_attributes()
        diff = [{"Key": k, "Value": v} for k, v in sorted(want.items()) if have.get(k) != v]
        if diff:
            self.changes.append("attributes")
            if not self.module.check_mode:
                try:
                    self.client.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=diff, aws_retry=True)
                except ERRORS as e:
                    self.fail(e, "Failed to set attributes %s" % [d["Key"] for d in diff])

    def update_listeners(self, arn, have):
        want = {str(spec["port"]): _listener_want(spec) for spec in self.p["listeners"]}
        for port, listener in sorted(have.items()):
            if port not in want:
                self.changes.append("listener %s deleted" % port)
                if not self.module.check_mode:
                    try:
                        self.client.delete_listener(ListenerArn=listener["ListenerArn"], aws_retry=True)
                    except ERRORS as e:
                        self.fail(e, "Failed to delete the listener on port %s" % port)
        for port, spec in sorted(want.items()):
            current = have.get(port)
            if current is None:
                self.changes.append("listener %s created" % port)
                if not self.module.check_mode:
                    try:
                        self.client.create_listener(LoadBalancerArn=arn, aws_retry=True, **_listener_params(spec))
                    except ERRORS as e:
                        self.fail(e, "Failed to create the listener on port %s" % port)
            elif {k: v for k, v in current.items() if k != "ListenerArn"} != spec:
                self.changes.append("listener %s modified" % port)
                if not self.module.check_mode:
                    try:
                        self.client.modify_listener(ListenerArn=current["ListenerArn"], aws_retry=True, **_listener_params(spec))
                    except ERRORS as e:
                        self.fail(e, "Failed to modify the listener on port %s" % port)

    def update_tags(self, arn, have):
        add = {k: v for k, v in self.p["tags"].items() if have.get(k) != v}
        remove = [k for k in have if k not in self.p["tags"]] if self.p["purge_tags"] else []
        if add or remove:
            self.changes.append("tags")
            if not self.module.check_mode:
                try:
                    if add:
                        self.client.add_tags(ResourceArns=[arn], Tags=[{"Key": k, "Value": v} for k, v in sorted(add.items())], aws_retry=True)
                    if remove:
                        self.client.remove_tags(ResourceArns=[arn], TagKeys=sorted(remove), aws_retry=True)
                except ERRORS as e:
                    self.fail(e, "Failed to tag")

    def present(self):
        lb = self.find()
        before = self.snapshot(lb)
        if lb is None:
            lb = self.create()
            have = self.snapshot(lb) if lb else None
            if have is None:  # check mode: the whole load balancer is new
                self.changes.extend("listener %s created" % s["port"] for s in self.p["listeners"])
                return before, self.predicted({"listeners": {}, "tags": {}, "scheme": self.p["scheme"], "type": "network"})
        else:
            have = before
            self.update_network(lb, have)
        self.update_attributes(have["arn"], have["attributes"])
        self.update_listeners(have["arn"], have["listeners"])
        self.update_tags(have["arn"], have["tags"])
        if self.module.check_mode:
            return before, self.predicted(before)
        return before, self.snapshot(self.find()) if self.changes else before

    def predicted(self, have):
        """What a run would leave (check mode): the wanted values over what exists."""
        after = dict(have, security_groups=sorted(self.p["security_groups"]), subnet_mappings=self.wanted_mappings(),
                     attributes=self.wanted_attributes())
        after["listeners"] = {str(s["port"]): dict(_listener_want(s), ListenerArn=have["listeners"].get(str(s["port"]), {}).get("ListenerArn"))
                              for s in self.p["listeners"]}
        after["tags"] = dict({} if self.p["purge_tags"] else have["tags"], **self.p["tags"])
        return after

    def absent(self):
        lb = self.find()
        before = self.snapshot(lb)
        if lb is not None:
            self.changes.append("deleted")
            if not self.module.check_mode:
                try:
                    if before["attributes"].get("deletion_protection.enabled") == "true" and not self.p["deletion_protection"]:
                        self.client.modify_load_balancer_attributes(
                            LoadBalancerArn=lb["LoadBalancerArn"], aws_retry=True,
                            Attributes=[{"Key": "deletion_protection.enabled", "Value": "false"}])
                    self.client.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"], aws_retry=True)
                except ERRORS as e:
                    self.fail(e, "Failed to delete")
                self.wait("load_balancers_deleted", lb["LoadBalancerArn"])
        return before, {}


def _comparable(snapshot):
    return {k: v for k, v in snapshot.items() if k not in ("dns_name", "canonical_hosted_zone_id")}


def main():
    listener = dict(port=dict(type="int", required=True),
                    protocol=dict(type="str", required=True, choices=["TCP", "TLS", "UDP", "TCP_UDP"]),
                    target_group_arn=dict(type="str", required=True), certificate_arn=dict(type="str"),
                    ssl_policy=dict(type="str"), alpn_policy=dict(type="str"))
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            scheme=dict(type="str", default="internet-facing", choices=["internet-facing", "internal"]),
            subnet_mappings=dict(type="list", elements="dict", options=dict(
                subnet_id=dict(type="str", required=True), allocation_id=dict(type="str"))),
            security_groups=dict(type="list", elements="str", default=[]),
            cross_zone_load_balancing=dict(type="bool", default=False),
            deletion_protection=dict(type="bool", default=False),
            access_logs=dict(type="dict", options=dict(bucket=dict(type="str", default=""), prefix=dict(type="str", default=""))),
            listeners=dict(type="list", elements="dict", default=[], options=listener),
            tags=dict(type="dict", default={}),
            purge_tags=dict(type="bool", default=True),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=600),
        ),
        required_if=[("state", "present", ["subnet_mappings"])],
        supports_check_mode=True,
    )
    p = module.params
    if p["state"] == "present":
        if not p["security_groups"]:
            module.fail_json(msg="security_groups: an NLB needs at least one at creation (AWS cannot add them later)")
        for spec in p["listeners"]:
            if spec["protocol"] == "TLS" and not (spec.get("certificate_arn") and spec.get("ssl_policy")):
                module.fail_json(msg="listeners: the TLS listener on port %s needs certificate_arn and ssl_policy" % spec["port"])
    nlb = NLB(module)
    before, after = nlb.present() if p["state"] == "present" else nlb.absent()
    module.exit_json(changed=bool(nlb.changes), changes=nlb.changes, load_balancer=after,
                     diff={"before": _comparable(before), "after": _comparable(after) if after else {}})


if __name__ == "__main__":
    main()
