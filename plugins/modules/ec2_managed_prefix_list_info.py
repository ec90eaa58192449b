#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devsecops.eks_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ec2_managed_prefix_list_info
short_description: Look up EC2 managed prefix lists, such as the AWS-managed list of a service
version_added: 1.1.0
description:
  - Describes customer-managed and AWS-managed prefix lists (C(DescribeManagedPrefixLists)),
    by name, ID or filter, for example C(com.amazonaws.us-east-1.s3) whose ID a security group
    rule needs to allow HTTPS to S3 through a gateway endpoint.
  - amazon.aws and community.aws have no module for this lookup.
  - Read-only; supports check mode.
author:
  - DevSecOps Platform Team (@devsecops)
options:
  names:
    description:
      - Prefix list names to look up (filter C(prefix-list-name)).
      - With O(require_all=true), each name must match a list.
    type: list
    elements: str
    default: []
  prefix_list_ids:
    description: Prefix list IDs to look up.
    type: list
    elements: str
    default: []
  filters:
    description:
      - Further filters, as a dict of filter name to value or values, for example C(owner-id).
      - See U(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeManagedPrefixLists.html).
    type: dict
    default: {}
  require_all:
    description: Fail, naming the missing ones, when a name in O(names) matches no prefix list.
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Find the S3 prefix list of the region
  devsecops.eks_platform.ec2_managed_prefix_list_info:
    region: us-east-1
    names: [com.amazonaws.us-east-1.s3]
    require_all: true
  register: s3_prefix_list

- name: Allow HTTPS to S3 through the gateway endpoint
  amazon.aws.ec2_security_group:
    name: app
    description: App hosts
    vpc_id: vpc-0123456789abcdef0
    rules_egress:
      - proto: tcp
        ports: [443]
        ip_prefix: "{{ s3_prefix_list.prefix_lists[0].prefix_list_id }}"
"""

RETURN = r"""
prefix_lists:
  description: The matching prefix lists (snake_case keys), sorted by name.
  returned: always
  type: list
  elements: dict
  sample:
    - prefix_list_id: pl-63a5400a
      prefix_list_name: com.amazonaws.us-east-1.s3
      address_family: IPv4
      state: create-complete
      owner_id: AWS
      prefix_list_arn: arn:aws:ec2:us-east-1:aws:prefix-list/pl-63a5400a
      tags: {}
by_name:
  description: Prefix list IDs by name.
  returned: always
  type: dict
  sample:
    com.amazonaws.us-east-1.s3: pl-63a5400a
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.transformation import ansible_dict_to_boto3_filter_list

from ansible_collections.devsecops.eks_platform.plugins.module_utils.ec2 import TRANSIENT_ERROR_CODES, paginate


def describe_prefix_lists(client, **params):
    return paginate(client, "describe_managed_prefix_lists", "PrefixLists", **params)


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            names=dict(type="list", elements="str", default=[]),
            prefix_list_ids=dict(type="list", elements="str", default=[]),
            filters=dict(type="dict", default={}),
            require_all=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    filters = dict(p["filters"])
    if p["names"]:
        filters["prefix-list-name"] = p["names"]
    params = {}
    if filters:
        params["Filters"] = ansible_dict_to_boto3_filter_list(filters)
    if p["prefix_list_ids"]:
        params["PrefixListIds"] = p["prefix_list_ids"]

    client = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff(catch_extra_error_codes=TRANSIENT_ERROR_CODES))
    try:
        found = describe_prefix_lists(client, **params)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="Failed to describe managed prefix lists")

    lists = []
    for pl in sorted(found, key=lambda x: x.get("PrefixListName", "")):
        tags = pl.pop("Tags", [])
        item = camel_dict_to_snake_dict(pl)
        item["tags"] = boto3_tag_list_to_ansible_dict(tags)
        lists.append(item)
    by_name = dict((pl["prefix_list_name"], pl["prefix_list_id"]) for pl in lists)

    missing = [n for n in p["names"] if n not in by_name]
    if p["require_all"] and missing:
        module.fail_json(msg="No managed prefix list named %s in this region" % ", ".join(missing),
                         prefix_lists=lists, by_name=by_name)
    module.exit_json(changed=False, prefix_lists=lists, by_name=by_name)


if __name__ == "__main__":
    main()
