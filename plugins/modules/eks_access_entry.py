#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devsecops.eks_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: eks_access_entry
short_description: Manage an Amazon EKS access entry and the access policies associated with it
version_added: 1.1.0
description:
  - Grants one IAM principal access to an EKS cluster whose authentication mode includes C(API) - an access entry
    (C(CreateAccessEntry)) with its Kubernetes groups and user name - and associates exactly the EKS access
    policies given, each with its scope (the whole cluster or some namespaces). Policies not listed are
    disassociated, so the entry grants what the task says and nothing more.
  - An entry's type cannot change; the module fails naming O(type) instead of replacing the entry silently.
  - Throttling and EKS server errors are retried, and for up to two minutes the C(InvalidParameterException) EKS
    answers while an IAM role created moments ago has not propagated. Check mode and diff mode are supported.
  - No module for access entries exists in amazon.aws or community.aws.
author:
  - DevSecOps Platform Team (@devsecops)
options:
  principal_arn:
    description: ARN of the IAM role or user (C(arn:<partition>:iam::<account>:role/<name>)).
    type: str
    required: true
  type:
    description: Type of the entry. C(EC2_LINUX) and the other node types are for node roles.
    type: str
    choices: [STANDARD, EC2_LINUX, EC2_WINDOWS, FARGATE_LINUX, EC2, HYBRID_LINUX, HYPERPOD_LINUX]
    default: STANDARD
  kubernetes_groups:
    description: Kubernetes groups the principal is in (for RBAC bindings of your own). Only for C(STANDARD).
    type: list
    elements: str
    default: []
  username:
    description: Kubernetes user name of the principal. Without it, EKS chooses one and it is left alone.
    type: str
  access_policies:
    description:
      - EKS access policies to associate, by ARN or short name (C(AmazonEKSViewPolicy) for
        C(arn:<partition>:eks::aws:cluster-access-policy/AmazonEKSViewPolicy)). Others are disassociated.
    type: list
    elements: dict
    default: []
    suboptions:
      policy:
        description: ARN or short name of the access policy.
        type: str
        required: true
      namespaces:
        description: Namespaces the policy applies in. Empty or missing - the whole cluster.
        type: list
        elements: str
        default: []
  tags:
    description: Tags of the entry, set when it is created.
    type: dict
    aliases: [resource_tags]
  state:
    description: Whether the entry exists.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - devsecops.eks_platform.eks
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The jump host's role may read the cluster, nothing more
  devsecops.eks_platform.eks_access_entry:
    cluster_name: eksplat
    principal_arn: arn:aws:iam::123456789012:role/eksplat-us-east-1-jump-host
    access_policies:
      - policy: AmazonEKSViewPolicy

- name: Administrators of the apps namespace
  devsecops.eks_platform.eks_access_entry:
    cluster_name: eksplat
    principal_arn: arn:aws:iam::123456789012:role/app-admins
    access_policies:
      - policy: AmazonEKSAdminPolicy
        namespaces: [apps]
"""

RETURN = r"""
access_entry:
  description: The entry and its associated policies (empty when it does not exist).
  returned: always
  type: dict
  sample:
    principal_arn: arn:aws:iam::123456789012:role/eksplat-us-east-1-jump-host
    type: STANDARD
    username: arn:aws:sts::123456789012:assumed-role/eksplat-us-east-1-jump-host/{{SessionName}}
    kubernetes_groups: []
    access_policies:
      - policy: arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy
        namespaces: []
"""

import re

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.devsecops.eks_platform.plugins.module_utils.ec2 import paginate
from ansible_collections.devsecops.eks_platform.plugins.module_utils.eks import TRANSIENT_ERROR_CODES, call_while_iam_propagates

PRINCIPAL = re.compile(r"^arn:(aws[a-z-]*):iam::\d{12}:(role|user)/[\w+=,.@/-]+$")


class AccessEntry(object):
    def __init__(self, module, client, partition):
        self.module = module
        self.client = client
        self.p = module.params
        self.partition = partition
        self.changed = False
        self.key = dict(clusterName=self.p["cluster_name"], principalArn=self.p["principal_arn"])

    def fail(self, e, msg):
        self.module.fail_json_aws(e, msg="%s (access entry of %s in cluster %s)"
                                  % (msg, self.p["principal_arn"], self.p["cluster_name"]))

    def policy_arn(self, policy):
        if policy.startswith("arn:"):
            return policy
        return "arn:%s:eks::aws:cluster-access-policy/%s" % (self.partition, policy)

    def find(self):
        try:
            return self.client.describe_access_entry(aws_retry=True, **self.key)["accessEntry"]
        except is_boto3_error_code("ResourceNotFoundException"):
            return None

    def snapshot(self, entry):
        if not entry:
            return {}
        policies = paginate(self.client, "list_associated_access_policies", "associatedAccessPolicies", **self.key)
        return dict(principal_arn=entry["principalArn"], type=entry.get("type"), username=entry.get("username"),
                    kubernetes_groups=sorted(entry.get("kubernetesGroups") or []),
                    access_policies=sorted(
                        [dict(policy=a["policyArn"], namespaces=sorted((a.get("accessScope") or {}).get("namespaces") or []))
                         for a in policies], key=lambda a: a["policy"]))

    def wanted(self, have):
        policies = {}
        for item in self.p["access_policies"]:
            arn = self.policy_arn(item["policy"])
            if arn in policies:
                self.module.fail_json(msg="access_policies: %s is listed twice" % arn)
            policies[arn] = sorted(item["namespaces"] or [])
        return dict(principal_arn=self.p["principal_arn"], type=self.p["type"],
                    username=self.p["username"] or (have or {}).get("username"),
                    kubernetes_groups=sorted(self.p["kubernetes_groups"]),
                    access_policies=[dict(policy=k, namespaces=v) for k, v in sorted(policies.items())])

    @staticmethod
    def scope(namespaces):
        return {"type": "namespace", "namespaces": namespaces} if namespaces else {"type": "cluster"}

    def write(self, call, **kwargs):
        self.changed = True
        if self.module.check_mode:
            return
        try:
            # a principal created moments ago is "invalid" until IAM has propagated it
            call_while_iam_propagates(getattr(self.client, call), **dict(self.key, **kwargs))
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self.fail(e, "Failed to %s" % call.replace("_", " "))

    def ensure(self, have, want):
        if not have:
            kwargs = dict(type=want["type"])
            if want["kubernetes_groups"]:
                kwargs["kubernetesGroups"] = want["kubernetes_groups"]
            if want["username"]:
                kwargs["username"] = want["username"]
            if self.p["tags"]:
                kwargs["tags"] = self.p["tags"]
            self.write("create_access_entry", **kwargs)
            have_policies = {}
        else:
            if have["type"] != want["type"]:
                self.module.fail_json(msg="type: the access entry of %s is %s; an entry's type cannot change (delete it "
                                          "first)" % (self.p["principal_arn"], have["type"]), access_entry=have)
            update = {}
            if have["kubernetes_groups"] != want["kubernetes_groups"]:
                update["kubernetesGroups"] = want["kubernetes_groups"]
            if want["username"] and have["username"] != want["username"]:
                update["username"] = want["username"]
            if update:
                self.write("update_access_entry", **update)
            have_policies = dict((a["policy"], a["namespaces"]) for a in have["access_policies"])
        want_policies = dict((a["policy"], a["namespaces"]) for a in want["access_policies"])
        for arn in sorted(set(have_policies) - set(want_policies)):
            self.write("disassociate_access_policy", policyArn=arn)
        for arn, namespaces in sorted(want_policies.items()):
            if have_policies.get(arn) != namespaces:
                self.write("associate_access_policy", policyArn=arn, accessScope=self.scope(namespaces))


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            cluster_name=dict(type="str", required=True),
            principal_arn=dict(type="str", required=True),
            type=dict(type="str", default="STANDARD", choices=[
                "STANDARD", "EC2_LINUX", "EC2_WINDOWS", "FARGATE_LINUX", "EC2", "HYBRID_LINUX", "HYPERPOD_LINUX"]),
            kubernetes_groups=dict(type="list", elements="str", default=[]),
            username=dict(type="str"),
            access_policies=dict(type="list", elements="dict", default=[], options=dict(
                policy=dict(type="str", required=True),
                namespaces=dict(type="list", elements="str", default=[]),
            )),
            tags=dict(type="dict", aliases=["resource_tags"]),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        supports_check_mode=True,
    )
    match = PRINCIPAL.match(module.params["principal_arn"])
    if not match:
        module.fail_json(msg="principal_arn: %s is not an IAM role or user ARN (arn:<partition>:iam::<account>:role/<name>)"
                         % module.params["principal_arn"])
    client = module.client("eks", retry_decorator=AWSRetry.jittered_backoff(catch_extra_error_codes=TRANSIENT_ERROR_CODES))
    entry = AccessEntry(module, client, match.group(1))
    try:
        before = entry.snapshot(entry.find())
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        entry.fail(e, "Failed to read")
    if module.params["state"] == "absent":
        if before:
            entry.write("delete_access_entry")
        after = {}
    else:
        want = entry.wanted(before)
        entry.ensure(before, want)
        after = want if entry.changed else before
        if entry.changed and not module.check_mode:
            try:
                after = entry.snapshot(entry.find())
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                entry.fail(e, "Failed to read back")
    module.exit_json(changed=entry.changed, access_entry=after, diff={"before": before, "after": after})


if __name__ == "__main__":
    main()
