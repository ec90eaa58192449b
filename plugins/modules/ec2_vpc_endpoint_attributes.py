#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devsecops.eks_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ec2_vpc_endpoint_attributes
short_description: Reconcile the subnets, security groups, route tables and policy of an existing VPC endpoint
version_added: 1.1.0
description:
  - Brings an existing VPC endpoint's mutable attributes to the given values with
    C(ModifyVpcEndpoint), adding and removing subnets, security groups and route tables and
    replacing the policy where they differ. An option left unset is left as it is.
  - M(amazon.aws.ec2_vpc_endpoint) creates endpoints but, for an existing one, only manages its
    tags; this module covers the rest, so that drift (a removed subnet, a foreign security group,
    a widened policy) is repaired by a rerun.
  - Policies are compared as documents, not as text (key order, single values written as lists).
  - Supports check mode and diff.
author:
  - DevSecOps Platform Team (@devsecops)
options:
  vpc_endpoint_id:
    description: The endpoint to reconcile.
    type: str
    required: true
  subnet_ids:
    description: The subnets of an interface endpoint (one per AZ).
    type: list
    elements: str
  security_group_ids:
    description: The security groups of an interface endpoint.
    type: list
    elements: str
  route_table_ids:
    description: The route tables of a gateway endpoint.
    type: list
    elements: str
  policy:
    description: The endpoint policy, as a dict (or a JSON string).
    type: json
  wait:
    description: After a change, wait until the endpoint is C(available) again.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait.
    type: int
    default: 300
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Limit the S3 gateway endpoint to this account's principals and buckets
  devsecops.eks_platform.ec2_vpc_endpoint_attributes:
    region: us-east-1
    vpc_endpoint_id: vpce-0123456789abcdef0
    route_table_ids: [rtb-0123456789abcdef0]
    policy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Principal: "*"
          Action: "*"
          Resource: "*"
          Condition:
            StringEquals:
              aws:PrincipalAccount: "123456789012"
              aws:ResourceAccount: "123456789012"
"""

RETURN = r"""
vpc_endpoint:
  description: The endpoint after the change (snake_case keys); in check mode, as it would be.
  returned: always
  type: dict
  sample:
    vpc_endpoint_id: vpce-0123456789abcdef0
    service_name: com.amazonaws.us-east-1.logs
    subnet_ids: [subnet-0123456789abcdef0]
    groups: [{group_id: sg-0123456789abcdef0, group_name: vpc-endpoints}]
    policy_document: '{"Version": "2012-10-17", "Statement": []}'
    state: available
"""

import json
import time

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.devsecops.eks_platform.plugins.module_utils.ec2 import TRANSIENT_ERROR_CODES

# EC2's transient answers besides throttling: an endpoint still applying a previous change.
TRANSIENT = TRANSIENT_ERROR_CODES + ["IncorrectState"]


# A just-created endpoint may not be visible yet (eventual consistency): retry NotFound briefly
# (about half a minute), so that a wrong ID still fails soon.
@AWSRetry.jittered_backoff(retries=5, delay=2, max_delay=10,
                           catch_extra_error_codes=TRANSIENT + ["InvalidVpcEndpointId.NotFound"])
def _describe(client, endpoint_id):
    return client.describe_vpc_endpoints(VpcEndpointIds=[endpoint_id])["VpcEndpoints"]


def describe(client, module, endpoint_id):
    try:
        found = _describe(client, endpoint_id)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="Failed to describe VPC endpoint %s" % endpoint_id)
    if not found:  # pragma: no cover - AWS answers NotFound instead
        module.fail_json(msg="vpc_endpoint_id: no VPC endpoint %s" % endpoint_id)
    return found[0]


def _attrs(endpoint):
    policy = endpoint.get("PolicyDocument")
    return dict(
        subnet_ids=sorted(endpoint.get("SubnetIds", [])),
        security_group_ids=sorted(g["GroupId"] for g in endpoint.get("Groups", [])),
        route_table_ids=sorted(endpoint.get("RouteTableIds", [])),
        policy=json.loads(policy) if policy else None,
    )


def plan(endpoint, params):
    """The ModifyVpcEndpoint arguments that bring the endpoint to params (empty: nothing to do)."""
    have = _attrs(endpoint)
    request = {}
    for option, add, remove in (("subnet_ids", "AddSubnetIds", "RemoveSubnetIds"),
                                ("security_group_ids", "AddSecurityGroupIds", "RemoveSecurityGroupIds"),
                                ("route_table_ids", "AddRouteTableIds", "RemoveRouteTableIds")):
        if params[option] is None:
            continue
        want = set(params[option])
        if want - set(have[option]):
            request[add] = sorted(want - set(have[option]))
        if set(have[option]) - want:
            request[remove] = sorted(set(have[option]) - want)
    if params["policy"] is not None:
        want_policy = json.loads(params["policy"]) if isinstance(params["policy"], str) else params["policy"]
        if have["policy"] is None or compare_policies(have["policy"], want_policy):
            request["PolicyDocument"] = json.dumps(want_policy, sort_keys=True)
    return request


def wait_available(client, module, endpoint_id):
    deadline = time.time() + module.params["wait_timeout"]
    while True:
        endpoint = describe(client, module, endpoint_id)
        if endpoint.get("State", "").lower() == "available":
            return endpoint
        if endpoint.get("State", "").lower() == "failed" or time.time() >= deadline:
            module.fail_json(msg="VPC endpoint %s is %s, not available, after the change" % (endpoint_id, endpoint.get("State")),
                             vpc_endpoint=camel_dict_to_snake_dict(endpoint))
        time.sleep(5)


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            vpc_endpoint_id=dict(type="str", required=True),
            subnet_ids=dict(type="list", elements="str"),
            security_group_ids=dict(type="list", elements="str"),
            route_table_ids=dict(type="list", elements="str"),
            policy=dict(type="json"),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=300),
        ),
        supports_check_mode=True,
    )
    endpoint_id = module.params["vpc_endpoint_id"]
    client = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff(catch_extra_error_codes=TRANSIENT))
    before = describe(client, module, endpoint_id)
    request = plan(before, module.params)
    after = before
    if request and not module.check_mode:
        try:
            client.modify_vpc_endpoint(VpcEndpointId=endpoint_id, aws_retry=True, **request)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            module.fail_json_aws(e, msg="Failed to modify VPC endpoint %s with %s" % (endpoint_id, request))
        after = wait_available(client, module, endpoint_id) if module.params["wait"] else describe(client, module, endpoint_id)
    elif request:
        after = dict(before)
        for option, key in (("subnet_ids", "SubnetIds"), ("route_table_ids", "RouteTableIds")):
            if module.params[option] is not None:
                after[key] = sorted(module.params[option])
        if module.params["security_group_ids"] is not None:
            after["Groups"] = [{"GroupId": g} for g in sorted(module.params["security_group_ids"])]
        if "PolicyDocument" in request:
            after["PolicyDocument"] = request["PolicyDocument"]
    module.exit_json(
        changed=bool(request),
        vpc_endpoint=camel_dict_to_snake_dict(after),
        diff=dict(before=_attrs(before), after=_attrs(after)),
    )


if __name__ == "__main__":
    main()
