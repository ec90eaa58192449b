#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devsecops.eks_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: eks_nodegroup
short_description: Manage an EKS managed node group - its size, launch template, Kubernetes version and AMI release
version_added: 1.1.0
description:
  - Creates, updates or deletes one managed node group (C(CreateNodegroup), C(UpdateNodegroupConfig),
    C(UpdateNodegroupVersion), C(DeleteNodegroup)).
  - The desired size belongs to an autoscaler once the group exists - O(desired_size) sets it at creation, and later
    only moves it back inside O(min_size) and O(max_size).
  - A new launch template version, Kubernetes version or AMI release rolls the nodes (C(UpdateNodegroupVersion)),
    so a cluster upgrade reaches its nodes. EKS runs one update at a time; each is waited for (C(DescribeUpdate)),
    and a failed one fails the task with EKS's error.
  - What EKS cannot change in place (subnets, node role, AMI type, capacity type, instance types) is refused before
    any change, naming the option.
  - C(community.aws.eks_nodegroup) fights an autoscaler over the desired size, cannot give an AMI type with a launch
    template (or AL2023 at all), never moves the nodes to a new Kubernetes version or AMI release, and does not retry.
  - Retries throttling, EKS's server errors, a busy group (C(ResourceInUseException)) and the
    C(InvalidParameterException) of a node role that IAM has not propagated yet. Check mode and diff mode are supported.
author:
  - DevSecOps Platform Team (@devsecops)
options:
  name:
    description: Name of the node group.
    type: str
    required: true
  node_role:
    description: ARN of the nodes' IAM role. Required to create a group.
    type: str
  subnets:
    description: Subnet IDs of the nodes. Required to create a group.
    type: list
    elements: str
  launch_template:
    description: Launch template of the nodes.
    type: dict
    suboptions:
      id:
        description: Launch template ID.
        type: str
      name:
        description: Launch template name.
        type: str
      version:
        description: Launch template version; a new one rolls the nodes.
        type: str
  ami_type:
    description: EKS-optimized AMI type (C(AL2023_x86_64_STANDARD)...), or C(CUSTOM) for an AMI in the launch template.
    type: str
  instance_types:
    description: Instance types, when the launch template names none.
    type: list
    elements: str
  capacity_type:
    description: On-demand or spot capacity.
    type: str
    choices: [ON_DEMAND, SPOT]
    default: ON_DEMAND
  min_size:
    description: Fewest nodes.
    type: int
    required: true
  max_size:
    description: Most nodes.
    type: int
    required: true
  desired_size:
    description: Nodes at creation. Later the live desired size is kept (an autoscaler's), only clamped to min and max.
    type: int
  max_unavailable:
    description: Nodes replaced at a time when the group rolls.
    type: int
    default: 1
  labels:
    description: Kubernetes labels of the nodes; labels not listed are removed.
    type: dict
    default: {}
  version:
    description: Kubernetes version of the nodes (the cluster's by default at creation); a new one rolls the nodes.
    type: str
  release_version:
    description: AMI release version (EKS-optimized AMIs); a new one rolls the nodes.
    type: str
  tags:
    description: Tags of the node group.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove the tags that O(tags) does not list.
    type: bool
    default: true
  state:
    description: Whether the node group exists.
    type: str
    choices: [present, absent]
    default: present
  wait:
    description: Wait until the group is C(ACTIVE) and each update done (or the group is gone).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for each step (rolling nodes can take long).
    type: int
    default: 3600
extends_documentation_fragment:
  - devsecops.eks_platform.eks
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Nodes on a launch template, three AZs, scaled by the Cluster Autoscaler
  devsecops.eks_platform.eks_nodegroup:
    cluster_name: eksplat-us-east-1
    name: nodes
    node_role: arn:aws:iam::123456789012:role/eksplat-us-east-1-eks-nodes
    subnets: [subnet-0a, subnet-0b, subnet-0c]
    launch_template: {id: lt-0123, version: "3"}
    ami_type: AL2023_x86_64_STANDARD
    min_size: 3
    max_size: 6
    desired_size: 3
    tags:
      k8s.io/cluster-autoscaler/enabled: "true"
      k8s.io/cluster-autoscaler/eksplat-us-east-1: owned

- name: After a cluster upgrade, roll the nodes to it
  devsecops.eks_platform.eks_nodegroup:
    cluster_name: eksplat-us-east-1
    name: nodes
    min_size: 3
    max_size: 6
    version: "1.32"
"""

RETURN = r"""
nodegroup:
  description: The node group as this module manages it (empty when it does not exist).
  returned: always
  type: dict
  sample:
    name: nodes
    arn: arn:aws:eks:us-east-1:123456789012:nodegroup/eksplat-us-east-1/nodes/0123
    status: ACTIVE
    node_role: arn:aws:iam::123456789012:role/eksplat-us-east-1-eks-nodes
    subnets: [subnet-0a, subnet-0b]
    launch_template: {id: lt-0123, name: eksplat-us-east-1-eks-nodes, version: "3"}
    ami_type: AL2023_x86_64_STANDARD
    instance_types: [t3.large]
    capacity_type: ON_DEMAND
    min_size: 3
    max_size: 6
    desired_size: 4
    max_unavailable: 1
    labels: {}
    version: "1.31"
    release_version: 1.31.3-20250103
    remote_access: {}
    tags: {}
"""

import functools

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.devsecops.eks_platform.plugins.module_utils.eks import (
    TRANSIENT_ERROR_CODES, call_while_iam_propagates, sync_tags, wait_for_update)

# a group busy with another update refuses the next
TRANSIENT = TRANSIENT_ERROR_CODES + ["ResourceInUseException"]
# what EKS cannot change in place: option -> snapshot key
IMMUTABLE = ("subnets", "node_role", "ami_type", "capacity_type", "instance_types")


class Nodegroup(object):
    def __init__(self, module, client):
        self.module = module
        self.client = client
        self.p = module.params
        self.key = dict(clusterName=self.p["cluster_name"], nodegroupName=self.p["name"])
        self.changed = False

    def fail(self, e, msg):
        self.module.fail_json_aws(e, msg="%s (node group %s of cluster %s)" % (msg, self.p["name"], self.p["cluster_name"]))

    def find(self):
        try:
            return self.client.describe_nodegroup(aws_retry=True, **self.key)["nodegroup"]
        except is_boto3_error_code("ResourceNotFoundException"):
            return None

    @staticmethod
    def snapshot(group):
        if not group:
            return {}
        scaling = group.get("scalingConfig") or {}
        template = group.get("launchTemplate") or {}
        return dict(
            name=group["nodegroupName"], arn=group.get("nodegroupArn"), status=group.get("status"),
            node_role=group.get("nodeRole"), subnets=sorted(group.get("subnets") or []),
            launch_template=dict((k, str(v)) for k, v in template.items()), ami_type=group.get("amiType"),
            instance_types=sorted(group.get("instanceTypes") or []), capacity_type=group.get("capacityType"),
            min_size=scaling.get("minSize"), max_size=scaling.get("maxSize"), desired_size=scaling.get("desiredSize"),
            max_unavailable=(group.get("updateConfig") or {}).get("maxUnavailable"), labels=group.get("labels") or {},
            version=group.get("version"), release_version=group.get("releaseVersion"),
            remote_access=group.get("remoteAccess") or {}, tags=group.get("tags") or {})

    def wanted(self, have):
        p = self.p
        want = dict(have) if have else dict(name=p["name"], launch_template={}, version=None, release_version=None,
                                            remote_access={}, tags={})
        for key in ("node_role", "ami_type", "capacity_type"):
            if p[key] is not None:
                want[key] = p[key]
        if p["subnets"] is not None:
            want["subnets"] = sorted(p["subnets"])
        if p["instance_types"] is not None:
            want["instance_types"] = sorted(p["instance_types"])
        if p["launch_template"]:
            template = dict((k, v) for k, v in p["launch_template"].items() if v)
            # a template named by name is reported with its ID too: compare what was given
            want["launch_template"] = dict(have.get("launch_template") or {}, **template) if have else template
        want.update(min_size=p["min_size"], max_size=p["max_size"], max_unavailable=p["max_unavailable"], labels=p["labels"])
        live = have.get("desired_size") if have else None
        desired = live if live is not None else (p["desired_size"] if p["desired_size"] is not None else p["min_size"])
        want["desired_size"] = min(max(desired, p["min_size"]), p["max_size"])
        for key in ("version", "release_version"):
            if p[key]:
                want[key] = p[key]
        if p["tags"] is not None:
            want["tags"] = dict(p["tags"]) if p["purge_tags"] else dict(want.get("tags") or {}, **p["tags"])
        return want

    def refuse(self, have, want):
        p = self.p
        if p["min_size"] < 0 or p["max_size"] < max(1, p["min_size"]):
            self.module.fail_json(msg="max_size: %d must be at least 1 and at least min_size (%d)" % (p["max_size"], p["min_size"]))
        if not have:
            for key in ("node_role", "subnets"):
                if not p[key]:
                    self.module.fail_json(msg="%s: required to create node group %s" % (key, p["name"]))
            return
        for key in IMMUTABLE:
            if p[key] is not None and want[key] != have[key]:
                self.module.fail_json(msg="%s: node group %s has %s; EKS cannot change it in place - make a new group"
                                      % (key, p["name"], have[key]))
        if p["launch_template"] and have["launch_template"]:
            for key in ("id", "name"):
                if p["launch_template"].get(key) and p["launch_template"][key] != have["launch_template"].get(key):
                    self.module.fail_json(msg="launch_template: node group %s runs launch template %s; EKS cannot move it "
                                          "to another template" % (p["name"], have["launch_template"].get(key)))
        elif p["launch_template"] and not have["launch_template"]:
            self.module.fail_json(msg="launch_template: node group %s was created without one; EKS cannot add it" % p["name"])

    def create(self, want):
        self.changed = True
        if self.module.check_mode:
            return
        kwargs = dict(self.key, nodeRole=want["node_role"], subnets=want["subnets"],
                      scalingConfig=dict(minSize=want["min_size"], maxSize=want["max_size"], desiredSize=want["desired_size"]),
                      updateConfig=dict(maxUnavailable=want["max_unavailable"]), capacityType=want["capacity_type"],
                      labels=want["labels"])
        if want["launch_template"]:
            kwargs["launchTemplate"] = want["launch_template"]
        for key, name in (("ami_type", "amiType"), ("version", "version"), ("release_version", "releaseVersion")):
            if want.get(key):
                kwargs[name] = want[key]
        if want.get("instance_types"):
            kwargs["instanceTypes"] = want["instance_types"]
        if want["tags"]:
            kwargs["tags"] = want["tags"]
        try:
            call_while_iam_propagates(self.client.create_nodegroup, timeout=min(self.p["wait_timeout"], 300), **kwargs)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self.fail(e, "Failed to create")
        if self.p["wait"]:
            self.wait_waiter("nodegroup_active")

    def wait_waiter(self, waiter):
        delay = 30
        try:
            self.client.get_waiter(waiter).wait(WaiterConfig={"Delay": delay, "MaxAttempts": max(1, self.p["wait_timeout"] // delay)},
                                                **self.key)
        except botocore.exceptions.WaiterError as e:
            self.module.fail_json_aws(e, msg="Timed out or failed waiting for node group %s of cluster %s (%s)"
                                      % (self.p["name"], self.p["cluster_name"], waiter))

    def wait_update(self, update):
        if self.p["wait"]:
            describe = functools.partial(self.client.describe_update, name=self.p["cluster_name"], nodegroupName=self.p["name"])
            wait_for_update(self.module, describe, update, self.p["wait_timeout"],
                            "node group %s of cluster %s" % (self.p["name"], self.p["cluster_name"]))

    def apply(self, what, call, **kwargs):
        self.changed = True
        if self.module.check_mode:
            return
        try:
            update = getattr(self.client, call)(aws_retry=True, **dict(self.key, **kwargs))["update"]
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self.fail(e, "Failed to update %s" % what)
        self.wait_update(update)

    def update(self, have, want):
        if have.get("status") in ("CREATING", "UPDATING") and self.p["wait"] and not self.module.check_mode:
            self.wait_waiter("nodegroup_active")
        config = {}
        if (have["min_size"], have["max_size"], have["desired_size"]) != (want["min_size"], want["max_size"], want["desired_size"]):
            config["scalingConfig"] = dict(minSize=want["min_size"], maxSize=want["max_size"], desiredSize=want["desired_size"])
        if have["labels"] != want["labels"]:
            labels = {}
            add = dict((k, v) for k, v in want["labels"].items() if have["labels"].get(k) != v)
            remove = [k for k in have["labels"] if k not in want["labels"]]
            if add:
                labels["addOrUpdateLabels"] = add
            if remove:
                labels["removeLabels"] = remove
            config["labels"] = labels
        if have["max_unavailable"] != want["max_unavailable"]:
            config["updateConfig"] = dict(maxUnavailable=want["max_unavailable"])
        if config:
            self.apply("configuration", "update_nodegroup_config", **config)
        roll = {}
        if want["launch_template"] and want["launch_template"].get("version") != have["launch_template"].get("version"):
            roll["launchTemplate"] = dict((k, v) for k, v in want["launch_template"].items() if k in ("id", "version")) \
                if want["launch_template"].get("id") else want["launch_template"]
        if want["version"] and want["version"] != have["version"]:
            roll["version"] = want["version"]
        if want["release_version"] and want["release_version"] != have["release_version"]:
            roll["releaseVersion"] = want["release_version"]
        if roll:
            self.apply("version", "update_nodegroup_version", **roll)
        self.sync_tags(have, want)

    def sync_tags(self, have, want):
        self.changed |= sync_tags(self.module, self.client, have["arn"], have["tags"], want["tags"])

    def delete(self):
        self.changed = True
        if self.module.check_mode:
            return
        try:
            self.client.delete_nodegroup(aws_retry=True, **self.key)
        except is_boto3_error_code("ResourceNotFoundException"):
            return
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
            self.fail(e, "Failed to delete")
        if self.p["wait"]:
            self.wait_waiter("nodegroup_deleted")


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            cluster_name=dict(type="str", required=True),
            name=dict(type="str", required=True),
            node_role=dict(type="str"),
            subnets=dict(type="list", elements="str"),
            launch_template=dict(type="dict", options=dict(
                id=dict(type="str"), name=dict(type="str"), version=dict(type="str"))),
            ami_type=dict(type="str"),
            instance_types=dict(type="list", elements="str"),
            capacity_type=dict(type="str", choices=["ON_DEMAND", "SPOT"], default="ON_DEMAND"),
            min_size=dict(type="int", required=True),
            max_size=dict(type="int", required=True),
            desired_size=dict(type="int"),
            max_unavailable=dict(type="int", default=1),
            labels=dict(type="dict", default={}),
            version=dict(type="str"),
            release_version=dict(type="str"),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=3600),
        ),
        supports_check_mode=True,
    )
    client = module.client("eks", retry_decorator=AWSRetry.jittered_backoff(catch_extra_error_codes=TRANSIENT))
    group = Nodegroup(module, client)
    try:
        found = group.find()
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        group.fail(e, "Failed to read")
    before = group.snapshot(found)
    if module.params["state"] == "absent":
        if found and found.get("status") != "DELETING":
            group.delete()
        elif found and module.params["wait"] and not module.check_mode:
            group.wait_waiter("nodegroup_deleted")
        after = {}
    else:
        if found and found.get("status") in ("CREATE_FAILED", "DELETING", "DELETE_FAILED"):
            module.fail_json(msg="node group %s of cluster %s is %s: %s" % (
                module.params["name"], module.params["cluster_name"], found["status"],
                "; ".join(i.get("message", "") for i in (found.get("health") or {}).get("issues", []))), nodegroup=before)
        want = group.wanted(before)
        group.refuse(before, want)
        if found:
            group.update(before, want)
        else:
            group.create(want)
        if not group.changed:
            after = before
        elif module.check_mode:
            after = dict(want, status=before.get("status"), arn=before.get("arn"))
        else:
            try:
                after = group.snapshot(group.find())
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                group.fail(e, "Failed to read back")
    module.exit_json(changed=group.changed, nodegroup=after, diff={
        "before": dict((k, v) for k, v in before.items() if k != "status"),
        "after": dict((k, v) for k, v in (after or {}).items() if k != "status")})


if __name__ == "__main__":
    main()
