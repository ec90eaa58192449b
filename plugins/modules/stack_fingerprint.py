#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devsecops.eks_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: stack_fingerprint
short_description: Tell whether an eks_platform stack is exactly as its last converge left it
version_added: 1.1.0
description:
  - Reads the live state of one stack with one paginated describe per resource kind - VPCs and
    their DNS attributes, subnets, route tables, internet and NAT gateways, Elastic IPs, peering
    connections, DHCP options, flow logs, security groups, VPC endpoints, live instances, key pairs,
    Client VPN endpoints with their target networks, authorization rules and routes, the IAM roles
    and instance profiles given, the log groups given, and the EKS clusters given with their node
    groups, add-ons, access entries and Pod Identity associations - and hashes it, together with
    O(inputs_digest) (the caller's digest of every input and of the collection's own code).
  - Fields that change without anyone changing the stack (states, status messages, free address
    counts, attach times, last use, stored bytes) are left out; list order is ignored.
  - With O(record=false) it changes nothing and reports whether the fingerprint equals the one the
    last converge recorded, and that record is younger than O(max_age). The provisioning play runs
    its roles only when it does not.
  - With O(record=true) it writes the fingerprint and the time to the tags
    C(devsecops:converged) and C(devsecops:converged-at) of the stack's security VPC (tag
    C(devsecops:vpc=security)); these two tags are not part of the fingerprint. It reports a change
    only when the fingerprint differs from the recorded one; renewing the time of an expired record
    of the same fingerprint is not reported as a change. Check mode and diff mode are supported.
  - Whatever the roles would repair but this module does not read (for example an imported ACM
    certificate deleted by hand) is repaired by the next full run, which O(max_age) forces.
author:
  - DevSecOps Platform Team (@devsecops)
options:
  stack:
    description: Value of the C(devsecops:stack) tag of the stack.
    type: str
    required: true
  inputs_digest:
    description:
      - A digest of everything besides the live state that decides what a converge does - the
        roles' variables and the collection's code. A secret never needs to reach this module.
    type: str
    required: true
  iam_roles:
    description: Names of the IAM roles the stack owns (trust policy, inline and attached policies, tags).
    type: list
    elements: str
    default: []
  instance_profiles:
    description: Names of the IAM instance profiles the stack owns (their roles and tags).
    type: list
    elements: str
    default: []
  log_group_prefixes:
    description: Prefixes of the CloudWatch Logs groups the stack owns (retention, KMS key, tags).
    type: list
    elements: str
    default: []
  eks_clusters:
    description:
      - Names of the stack's EKS clusters - each with its node groups, add-ons, access entries with their
        policies, and Pod Identity associations. A node group's desired size belongs to the Cluster Autoscaler
        and does not count, nor do health, states or the platform version EKS moves by itself.
    type: list
    elements: str
    default: []
  client_vpn:
    description:
      - Read the Client VPN endpoints of the security VPC. Set it to V(false) only where the
        Client VPN API does not exist (the local emulator).
    type: bool
    default: true
  max_age:
    description:
      - Seconds after which a recorded fingerprint no longer counts as in sync, so a full converge
        runs at least this often. V(0) lets a record count forever.
    type: int
    default: 86400
  record:
    description: Write the fingerprint to the security VPC's tags.
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Is the stack as the last converge left it?
  devsecops.eks_platform.stack_fingerprint:
    stack: eksplat
    inputs_digest: "{{ my_inputs | to_json(sort_keys=true) | hash('sha256') }}"
    iam_roles: [eksplat-us-east-1-flow-logs, eksplat-us-east-1-bastion]
    instance_profiles: [eksplat-us-east-1-bastion]
    log_group_prefixes: [/eks-platform/eksplat/flow-logs]
  register: fingerprint

- name: Record the converged state
  devsecops.eks_platform.stack_fingerprint:
    stack: eksplat
    inputs_digest: "{{ my_inputs | to_json(sort_keys=true) | hash('sha256') }}"
    record: true
"""

RETURN = r"""
fingerprint:
  description: SHA-256 of the inputs digest and the live state.
  returned: always
  type: str
recorded:
  description: The fingerprint and the time (epoch seconds) the last converge recorded; empty when none is.
  returned: always
  type: dict
  sample: {fingerprint: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08, time: 1764532800}
in_sync:
  description: Whether the fingerprint equals the recorded one and the record is younger than O(max_age).
  returned: always
  type: bool
reason:
  description: Why the stack is or is not in sync, in one sentence.
  returned: always
  type: str
resources:
  description: Number of resources read per kind.
  returned: always
  type: dict
  sample: {vpcs: 3, subnets: 12, security_groups: 9}
"""

import hashlib
import json
import time

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.devsecops.eks_platform.plugins.module_utils.ec2 import TRANSIENT_ERROR_CODES, paginate
from ansible_collections.devsecops.eks_platform.plugins.module_utils.eks import TRANSIENT_ERROR_CODES as EKS_TRANSIENT

TAG = "devsecops:converged"
TAG_AT = "devsecops:converged-at"
# Keys whose values AWS changes by itself: lifecycle states, health and delivery status, counters,
# timestamps of use. Dropped at any depth. (Route and attachment "State" included: a blackhole
# route is the audit's business, not a reason to rerun roles that cannot fix it.)
VOLATILE = frozenset((
    "State", "Status", "StatusMessage", "StateReason", "StateTransitionReason", "AvailableIpAddressCount",
    "AttachTime", "DeliverLogsStatus", "DeliverLogsErrorMessage", "FlowLogStatus", "RoleLastUsed",
    "storedBytes", "LastUpdatedTime", "UsageOperationUpdateTime", "ExpirationTime", "FailureCode", "FailureMessage",
    # EKS: lifecycle and health, times of change, the platform version EKS upgrades by itself, the
    # autoscaler's desired size
    "status", "health", "modifiedAt", "associatedAt", "platformVersion", "desiredSize",
))
LIVE_INSTANCES = ["pending", "running", "stopping", "stopped"]
LIVE_NAT = ["pending", "available"]
LIVE_PEERING = ["initiating-request", "pending-acceptance", "provisioning", "active"]


def canonical(value):
    """`value` without volatile keys and with every list in a stable order."""
    if isinstance(value, dict):
        return dict((k, canonical(v)) for k, v in value.items() if k not in VOLATILE and not (k == "Tags" and not v))
    if isinstance(value, list):
        items = [canonical(v) for v in value]
        if all(isinstance(v, dict) and set(v) == set(("Key", "Value")) for v in items):
            items = [v for v in items if v["Key"] not in (TAG, TAG_AT)]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, default=str))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def digest(inputs_digest, state):
    text = json.dumps({"inputs": inputs_digest, "state": canonical(state)}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _tags(resource):
    return dict((t["Key"], t["Value"]) for t in resource.get("Tags", []))


def read_ec2(ec2, stack, client_vpn):
    """The stack's EC2 state by kind, and its security VPC (None before the first converge)."""
    vpcs = paginate(ec2, "describe_vpcs", "Vpcs", Filters=[{"Name": "tag:devsecops:stack", "Values": [stack]}])
    security = [v for v in vpcs if _tags(v).get("devsecops:vpc") == "security"]
    state = {"vpcs": vpcs}
    if not vpcs:
        return state, None
    ids = sorted(v["VpcId"] for v in vpcs)
    in_vpcs = [{"Name": "vpc-id", "Values": ids}]
    tagged = [{"Name": "tag:devsecops:stack", "Values": [stack]}]
    state["vpc_attributes"] = [
        dict(VpcId=vpc_id, **dict((attr, ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute=attr, aws_retry=True).get(
            attr[0].upper() + attr[1:], {}).get("Value")) for attr in ("enableDnsSupport", "enableDnsHostnames")))
        for vpc_id in ids]
    state["subnets"] = paginate(ec2, "describe_subnets", "Subnets", Filters=in_vpcs)
    state["route_tables"] = paginate(ec2, "describe_route_tables", "RouteTables", Filters=in_vpcs)
    state["internet_gateways"] = paginate(ec2, "describe_internet_gateways", "InternetGateways",
                                          Filters=[{"Name": "attachment.vpc-id", "Values": ids}])
    state["nat_gateways"] = paginate(ec2, "describe_nat_gateways", "NatGateways",
                                     Filter=in_vpcs + [{"Name": "state", "Values": LIVE_NAT}])
    state["addresses"] = ec2.describe_addresses(Filters=tagged, aws_retry=True).get("Addresses", [])
    state["peerings"] = [p for side in ("requester", "accepter") for p in paginate(
        ec2, "describe_vpc_peering_connections", "VpcPeeringConnections",
        Filters=[{"Name": side + "-vpc-info.vpc-id", "Values": ids},
                 {"Name": "status-code", "Values": LIVE_PEERING}])]
    state["dhcp_options"] = paginate(ec2, "describe_dhcp_options", "DhcpOptions", Filters=tagged)
    state["flow_logs"] = paginate(ec2, "describe_flow_logs", "FlowLogs", Filters=[{"Name": "resource-id", "Values": ids}])
    state["security_groups"] = paginate(ec2, "describe_security_groups", "SecurityGroups", Filters=in_vpcs)
    state["vpc_endpoints"] = paginate(ec2, "describe_vpc_endpoints", "VpcEndpoints", Filters=in_vpcs)
    state["instances"] = [i for r in paginate(
        ec2, "describe_instances", "Reservations",
        Filters=in_vpcs + [{"Name": "instance-state-name", "Values": LIVE_INSTANCES}]) for i in r["Instances"]]
    state["key_pairs"] = ec2.describe_key_pairs(Filters=tagged, aws_retry=True).get("KeyPairs", [])
    if client_vpn and security:
        endpoints = [e for e in paginate(ec2, "describe_client_vpn_endpoints", "ClientVpnEndpoints")
                     if e.get("VpcId") == security[0]["VpcId"] and e.get("Status", {}).get("Code") != "deleted"]
        for ep in endpoints:
            eid = ep["ClientVpnEndpointId"]
            ep["TargetNetworks"] = paginate(ec2, "describe_client_vpn_target_networks", "ClientVpnTargetNetworks",
                                            ClientVpnEndpointId=eid)
            ep["AuthorizationRules"] = paginate(ec2, "describe_client_vpn_authorization_rules", "AuthorizationRules",
                                                ClientVpnEndpointId=eid)
            ep["Routes"] = paginate(ec2, "describe_client_vpn_routes", "Routes", ClientVpnEndpointId=eid)
        state["client_vpn_endpoints"] = endpoints
    return state, (security[0] if security else None)


def read_iam(iam, roles, profiles):
    state = {"iam_roles": [], "instance_profiles": []}
    for name in roles:
        try:
            role = iam.get_role(RoleName=name, aws_retry=True)["Role"]
        except is_boto3_error_code("NoSuchEntity"):
            state["iam_roles"].append({"RoleName": name, "missing": True})
            continue
        role["InlinePolicies"] = dict(
            (policy, iam.get_role_policy(RoleName=name, PolicyName=policy, aws_retry=True)["PolicyDocument"])
            for policy in paginate(iam, "list_role_policies", "PolicyNames", RoleName=name))
        role["AttachedPolicies"] = paginate(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name)
        state["iam_roles"].append(role)
    for name in profiles:
        try:
            state["instance_profiles"].append(
                iam.get_instance_profile(InstanceProfileName=name, aws_retry=True)["InstanceProfile"])
        except is_boto3_error_code("NoSuchEntity"):
            state["instance_profiles"].append({"InstanceProfileName": name, "missing": True})
    return state


def read_eks(eks, names):
    """Each cluster with its node groups, add-ons, access entries (and their policies) and Pod Identity associations."""
    clusters = []
    for name in names:
        try:
            cluster = eks.describe_cluster(name=name, aws_retry=True)["cluster"]
        except is_boto3_error_code("ResourceNotFoundException"):
            clusters.append({"name": name, "missing": True})
            continue
        cluster["nodegroups"] = [
            eks.describe_nodegroup(clusterName=name, nodegroupName=group, aws_retry=True)["nodegroup"]
            for group in paginate(eks, "list_nodegroups", "nodegroups", clusterName=name)]
        cluster["addons"] = [eks.describe_addon(clusterName=name, addonName=addon, aws_retry=True)["addon"]
                             for addon in paginate(eks, "list_addons", "addons", clusterName=name)]
        entries = []
        for principal in paginate(eks, "list_access_entries", "accessEntries", clusterName=name):
            entry = eks.describe_access_entry(clusterName=name, principalArn=principal, aws_retry=True)["accessEntry"]
            entry["policies"] = paginate(eks, "list_associated_access_policies", "associatedAccessPolicies",
                                         clusterName=name, principalArn=principal)
            entries.append(entry)
        cluster["access_entries"] = entries
        cluster["pod_identity_associations"] = [
            eks.describe_pod_identity_association(clusterName=name, associationId=a["associationId"],
                                                  aws_retry=True)["association"]
            for a in paginate(eks, "list_pod_identity_associations", "associations", clusterName=name)]
        clusters.append(cluster)
    return {"eks_clusters": clusters}


def read_logs(logs, prefixes):
    return {"log_groups": [g for prefix in prefixes
                           for g in paginate(logs, "describe_log_groups", "logGroups", logGroupNamePrefix=prefix)]}


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            stack=dict(type="str", required=True),
            inputs_digest=dict(type="str", required=True),
            iam_roles=dict(type="list", elements="str", default=[]),
            instance_profiles=dict(type="list", elements="str", default=[]),
            log_group_prefixes=dict(type="list", elements="str", default=[]),
            eks_clusters=dict(type="list", elements="str", default=[]),
            client_vpn=dict(type="bool", default=True),
            max_age=dict(type="int", default=86400),
            record=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    retry = AWSRetry.jittered_backoff(catch_extra_error_codes=TRANSIENT_ERROR_CODES)
    eks_retry = AWSRetry.jittered_backoff(catch_extra_error_codes=EKS_TRANSIENT)
    ec2 = module.client("ec2", retry_decorator=retry)
    try:
        state, security = read_ec2(ec2, p["stack"], p["client_vpn"])
        if p["iam_roles"] or p["instance_profiles"]:
            state.update(read_iam(module.client("iam", retry_decorator=retry), p["iam_roles"], p["instance_profiles"]))
        if p["eks_clusters"]:
            state.update(read_eks(module.client("eks", retry_decorator=eks_retry), p["eks_clusters"]))
        if p["log_group_prefixes"]:
            state.update(read_logs(module.client("logs", retry_decorator=retry), p["log_group_prefixes"]))
    except is_boto3_error_code(("InvalidAction", "UnsupportedOperation")) as e:
        module.fail_json_aws(e, msg="client_vpn: the Client VPN API is not available at this endpoint; "
                                    "set client_vpn=false only where it does not exist")
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to read the state of stack %s" % p["stack"])

    fingerprint = digest(p["inputs_digest"], state)
    tags = _tags(security) if security else {}
    recorded = {}
    if tags.get(TAG):
        recorded = {"fingerprint": tags[TAG], "time": int(tags.get(TAG_AT, "0") or 0)}
    age = int(time.time()) - recorded.get("time", 0)
    in_sync = False
    if security is None:
        reason = "stack %s has no security VPC yet" % p["stack"]
    elif not recorded:
        reason = "no converge of stack %s is recorded" % p["stack"]
    elif recorded["fingerprint"] != fingerprint:
        reason = "the inputs, the collection or the live state of stack %s changed since the last converge" % p["stack"]
    elif p["max_age"] and age >= p["max_age"]:
        reason = "the last converge of stack %s is %d s old, max_age is %d s" % (p["stack"], age, p["max_age"])
    else:
        in_sync = True
        reason = "stack %s is as the converge %d s ago left it" % (p["stack"], age)
    result = dict(fingerprint=fingerprint, recorded=recorded, in_sync=in_sync, reason=reason,
                  resources=dict((kind, len(items)) for kind, items in state.items()))

    changed = False
    if p["record"]:
        if security is None and not module.check_mode:
            module.fail_json(msg="record: stack %s has no VPC tagged devsecops:vpc=security to record on" % p["stack"], **result)
        changed = recorded.get("fingerprint") != fingerprint
        # an expired record of the same fingerprint gets a new time: bookkeeping of when a full
        # converge ran, not a change to the stack, so it is not reported as one
        if (changed or not in_sync) and not module.check_mode:
            now = int(time.time())
            try:
                ec2.create_tags(Resources=[security["VpcId"]], Tags=[{"Key": TAG, "Value": fingerprint},
                                                                     {"Key": TAG_AT, "Value": str(now)}], aws_retry=True)
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                module.fail_json_aws(e, msg="Failed to tag VPC %s with the converged fingerprint" % security["VpcId"])
            result["recorded"] = {"fingerprint": fingerprint, "time": now}
        result["diff"] = {"before": {TAG: recorded.get("fingerprint", "")}, "after": {TAG: fingerprint}}
    module.exit_json(changed=changed, **result)


if __name__ == "__main__":
    main()
