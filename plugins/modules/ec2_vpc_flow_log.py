#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devsecops.eks_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ec2_vpc_flow_log
short_description: Manage VPC flow logs delivered to CloudWatch Logs or S3
version_added: 1.0.0
description:
  - Creates, updates (tags) and deletes an EC2 flow log for one VPC, subnet or network interface.
  - A flow log is identified by its resource, traffic type and destination, so repeated runs
    find the existing one instead of creating a duplicate.
  - Flow log attributes other than tags cannot be changed in place; when they differ the flow
    log is replaced (deleted and recreated).
author:
  - DevSecOps Platform Team (@devsecops)
options:
  resource_id:
    description: ID of the VPC, subnet or network interface.
    type: str
    required: true
  resource_type:
    description: Type of O(resource_id).
    type: str
    choices: [VPC, Subnet, NetworkInterface]
    default: VPC
  traffic_type:
    description: Which traffic to log.
    type: str
    choices: [ACCEPT, REJECT, ALL]
    default: ALL
  log_destination_type:
    description: Where flow log records go.
    type: str
    choices: [cloud-watch-logs, s3]
    default: cloud-watch-logs
  log_group_name:
    description: CloudWatch Logs group. Required when O(log_destination_type=cloud-watch-logs).
    type: str
  log_destination:
    description: ARN of the S3 bucket (or folder). Required when O(log_destination_type=s3).
    type: str
  deliver_logs_permission_arn:
    description: IAM role ARN that lets the flow log service write to CloudWatch Logs.
    type: str
  iam_propagation_timeout:
    description:
      - Seconds to keep retrying the creation while EC2 answers C(InvalidParameter) with
        C(Unable to assume given IAM role) - what a role created seconds before returns until IAM
        has propagated it (Terraform's AWS provider retries the same message for two minutes).
      - Any other error fails at once.
    type: int
    default: 120
    version_added: 1.1.0
  max_aggregation_interval:
    description: Seconds over which packets are aggregated into one record.
    type: int
    choices: [60, 600]
    default: 600
  state:
    description: Whether the flow log should exist.
    type: str
    choices: [present, absent]
    default: present
  wait:
    description: Wait until a new flow log is reported active or a deleted one is gone.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait.
    type: int
    default: 120
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Log all traffic of a VPC to CloudWatch Logs
  devsecops.eks_platform.ec2_vpc_flow_log:
    resource_id: vpc-0123456789abcdef0
    log_group_name: /eks-platform/lab/flow-logs/app
    deliver_logs_permission_arn: arn:aws:iam::123456789012:role/eks-platform-flow-logs
    tags:
      Name: app-flow-log

- name: Remove it
  devsecops.eks_platform.ec2_vpc_flow_log:
    resource_id: vpc-0123456789abcdef0
    log_group_name: /eks-platform/lab/flow-logs/app
    state: absent
"""

RETURN = r"""
flow_log:
  description: The flow log as EC2 describes it (snake_case keys), empty when absent.
  returned: always
  type: dict
  sample:
    flow_log_id: fl-0123456789abcdef0
    resource_id: vpc-0123456789abcdef0
    traffic_type: ALL
    log_group_name: /eks-platform/lab/flow-logs/app
    flow_log_status: ACTIVE
    tags:
      Name: app-flow-log
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


# What CreateFlowLogs answers while a new delivery role has not propagated through IAM.
IAM_NOT_READY = "Unable to assume given IAM role"


def _matches(fl, params):
    if fl.get("TrafficType") != params["traffic_type"]:
        return False
    dest_type = fl.get("LogDestinationType", "cloud-watch-logs")
    if dest_type != params["log_destination_type"]:
        return False
    if dest_type == "cloud-watch-logs":
        return fl.get("LogGroupName") == params["log_group_name"]
    return fl.get("LogDestination") == params["log_destination"]


def describe(client, module):
    params = module.params
    try:
        paginator = client.get_paginator("describe_flow_logs")
        flow_logs = paginator.paginate(
            Filters=[{"Name": "resource-id", "Values": [params["resource_id"]]}]
        ).build_full_result()["FlowLogs"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="Failed to describe flow logs")
    return [fl for fl in flow_logs if _matches(fl, params)]


def needs_replace(fl, params):
    wanted = {
        "DeliverLogsPermissionArn": params["deliver_logs_permission_arn"],
        "MaxAggregationInterval": params["max_aggregation_interval"],
    }
    return any(v is not None and fl.get(k) not in (None, v) for k, v in wanted.items())


def create(client, module):
    p = module.params
    request = {
        "ResourceIds": [p["resource_id"]],
        "ResourceType": p["resource_type"],
        "TrafficType": p["traffic_type"],
        "LogDestinationType": p["log_destination_type"],
        "MaxAggregationInterval": p["max_aggregation_interval"],
    }
    if p["log_destination_type"] == "cloud-watch-logs":
        request["LogGroupName"] = p["log_group_name"]
    else:
        request["LogDestination"] = p["log_destination"]
    if p["deliver_logs_permission_arn"]:
        request["DeliverLogsPermissionArn"] = p["deliver_logs_permission_arn"]
    if p["tags"]:
        request["TagSpecifications"] = [
            {"ResourceType": "vpc-flow-log", "Tags": ansible_dict_to_boto3_tag_list(p["tags"])}
        ]
    deadline = time.time() + p["iam_propagation_timeout"]
    delay = 2
    while True:
        try:
            result = client.create_flow_logs(aws_retry=True, **request)
            problem = result.get("Unsuccessful")
            if not problem:
                return result["FlowLogIds"][0]
            error = problem
        except is_boto3_error_code("InvalidParameter") as e:
            error = e
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
            module.fail_json_aws(e, msg="Failed to create flow log")
        if IAM_NOT_READY not in str(error) or time.time() + delay > deadline:
            if isinstance(error, Exception):
                module.fail_json_aws(error, msg="Failed to create flow log")
            module.fail_json(msg="Failed to create flow log: %s" % error)
        time.sleep(delay)
        delay = min(delay * 2, 15)


def delete(client, module, flow_log_id):
    try:
        client.delete_flow_logs(aws_retry=True, FlowLogIds=[flow_log_id])
    except is_boto3_error_code("InvalidFlowLogId.NotFound"):
        pass
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to delete flow log %s" % flow_log_id)


def wait_for(client, module, flow_log_id, gone):
    """Poll until the flow log is ACTIVE (or gone). EC2 has no waiter for flow logs."""
    deadline = time.time() + module.params["wait_timeout"]
    while time.time() < deadline:
        found = client.describe_flow_logs(aws_retry=True, FlowLogIds=[flow_log_id])["FlowLogs"]
        if gone and not found:
            return None
        if not gone and found and found[0].get("FlowLogStatus") == "ACTIVE":
            return found[0]
        time.sleep(2)
    module.fail_json(msg="Timed out waiting for flow log %s" % flow_log_id)


def sync_tags(client, module, fl):
    tags = module.params["tags"]
    if tags is None:
        return False
    current = boto3_tag_list_to_ansible_dict(fl.get("Tags", []))
    to_set, to_unset = compare_aws_tags(current, tags, module.params["purge_tags"])
    if not (to_set or to_unset):
        return False
    if not module.check_mode:
        try:
            if to_unset:
                client.delete_tags(aws_retry=True, Resources=[fl["FlowLogId"]],
                                   Tags=[{"Key": k} for k in to_unset])
            if to_set:
                client.create_tags(aws_retry=True, Resources=[fl["FlowLogId"]],
                                   Tags=ansible_dict_to_boto3_tag_list(to_set))
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            module.fail_json_aws(e, msg="Failed to tag flow log %s" % fl["FlowLogId"])
    return True


def to_result(fl):
    if not fl:
        return {}
    out = camel_dict_to_snake_dict(fl, ignore_list=["Tags"])
    out["tags"] = boto3_tag_list_to_ansible_dict(out.pop("tags", []))
    return out


def main():
    argument_spec = dict(
        resource_id=dict(type="str", required=True),
        resource_type=dict(type="str", default="VPC", choices=["VPC", "Subnet", "NetworkInterface"]),
        traffic_type=dict(type="str", default="ALL", choices=["ACCEPT", "REJECT", "ALL"]),
        log_destination_type=dict(type="str", default="cloud-watch-logs", choices=["cloud-watch-logs", "s3"]),
        log_group_name=dict(type="str"),
        log_destination=dict(type="str"),
        deliver_logs_permission_arn=dict(type="str"),
        iam_propagation_timeout=dict(type="int", default=120),
        max_aggregation_interval=dict(type="int", default=600, choices=[60, 600]),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=120),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_if=[
            ("log_destination_type", "cloud-watch-logs", ["log_group_name"]),
            ("log_destination_type", "s3", ["log_destination"]),
        ],
    )
    client = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())
    existing = describe(client, module)
    before = existing[0] if existing else None
    changed = False
    after = before

    if module.params["state"] == "absent":
        for fl in existing:
            changed = True
            if not module.check_mode:
                delete(client, module, fl["FlowLogId"])
                if module.params["wait"]:
                    wait_for(client, module, fl["FlowLogId"], gone=True)
        after = None
    else:
        # Duplicates (e.g. from an interrupted earlier run) are removed, keeping the first.
        for extra in existing[1:]:
            changed = True
            if not module.check_mode:
                delete(client, module, extra["FlowLogId"])
        if before and needs_replace(before, module.params):
            changed = True
            if not module.check_mode:
                delete(client, module, before["FlowLogId"])
            before = None
            after = None
        if before is None:
            changed = True
            if module.check_mode:
                after = {"ResourceId": module.params["resource_id"], "TrafficType": module.params["traffic_type"],
                         "LogGroupName": module.params["log_group_name"], "Tags": ansible_dict_to_boto3_tag_list(module.params["tags"] or {})}
            else:
                new_id = create(client, module)
                if module.params["wait"]:
                    after = wait_for(client, module, new_id, gone=False)
                else:
                    after = client.describe_flow_logs(aws_retry=True, FlowLogIds=[new_id])["FlowLogs"][0]
        else:
            if sync_tags(client, module, before):
                changed = True
                if not module.check_mode:
                    after = client.describe_flow_logs(aws_retry=True, FlowLogIds=[before["FlowLogId"]])["FlowLogs"][0]
                else:
                    after = dict(before, Tags=ansible_dict_to_boto3_tag_list(module.params["tags"]))

    module.exit_json(
        changed=changed,
        flow_log=to_result(after),
        diff={"before": to_result(existing[0] if existing else None), "after": to_result(after)},
    )


if __name__ == "__main__":
    main()
