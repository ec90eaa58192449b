#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devsecops.eks_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: eks_addon
short_description: Manage an Amazon EKS add-on, its version, configuration and Pod Identity roles
version_added: 1.1.0
description:
  - Creates, updates or deletes one add-on of an EKS cluster (C(CreateAddon), C(UpdateAddon), C(DeleteAddon)).
  - An existing add-on is compared field by field - version, configuration values (as data, so key order and
    whitespace do not count; YAML set by other tools is replaced by JSON once), IRSA role, Pod Identity
    associations and tags - and only what differs is changed.
  - The Pod Identity associations of an add-on are read back from the cluster's associations the add-on owns
    (C(ListPodIdentityAssociations), C(DescribePodIdentityAssociation)), since C(DescribeAddon) returns only
    their ARNs.
  - Waits with botocore's C(addon_active) and C(addon_deleted) waiters. A request refused because the add-on is
    busy (C(ResourceInUseException)) is retried, like throttling and server errors.
  - Throttling and EKS server errors are retried, and for up to two minutes the C(InvalidParameterException) EKS
    answers while an IAM role created moments ago has not propagated. Check mode and diff mode are supported.
  - No module for add-ons exists in amazon.aws or community.aws.
author:
  - DevSecOps Platform Team (@devsecops)
options:
  name:
    description: Name of the add-on (C(vpc-cni), C(coredns), C(kube-proxy), C(eks-pod-identity-agent)...).
    type: str
    required: true
  version:
    description:
      - Add-on version (C(v1.19.2-eksbuild.1)). Without it, a new add-on gets the default version for the
        cluster's Kubernetes version and an existing one keeps its version.
    type: str
  configuration_values:
    description: Configuration of the add-on, as data; it must match the add-on's configuration schema.
    type: dict
  service_account_role_arn:
    description: IAM role for the add-on's service account (IRSA). Prefer O(pod_identity_associations).
    type: str
  pod_identity_associations:
    description:
      - Pod Identity associations the add-on owns, one per service account. An empty list removes them all; without
        the option, the existing ones are left alone.
    type: list
    elements: dict
    suboptions:
      service_account:
        description: Kubernetes service account of the add-on.
        type: str
        required: true
      role_arn:
        description: IAM role the service account's pods get.
        type: str
        required: true
  resolve_conflicts:
    description: What to do with fields that someone changed in the cluster (C(OVERWRITE) takes ours).
    type: str
    choices: [NONE, OVERWRITE, PRESERVE]
    default: OVERWRITE
  preserve:
    description: On deletion, leave the add-on's Kubernetes resources in the cluster.
    type: bool
    default: false
  tags:
    description: Tags of the add-on.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove the tags that O(tags) does not list.
    type: bool
    default: true
  state:
    description: Whether the add-on exists.
    type: str
    choices: [present, absent]
    default: present
  wait:
    description: Wait until the add-on is C(ACTIVE) (or gone, with O(state=absent)).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait.
    type: int
    default: 900
extends_documentation_fragment:
  - devsecops.eks_platform.eks
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The EBS CSI driver, its AWS calls made with its own role through Pod Identity
  devsecops.eks_platform.eks_addon:
    cluster_name: eksplat
    name: aws-ebs-csi-driver
    version: v1.37.0-eksbuild.1
    pod_identity_associations:
      - service_account: ebs-csi-controller-sa
        role_arn: arn:aws:iam::123456789012:role/eksplat-ebs-csi

- name: CoreDNS with two replicas
  devsecops.eks_platform.eks_addon:
    cluster_name: eksplat
    name: coredns
    configuration_values:
      replicaCount: 2

- name: Remove an add-on
  devsecops.eks_platform.eks_addon:
    cluster_name: eksplat
    name: kube-proxy
    state: absent
"""

RETURN = r"""
addon:
  description: The add-on as this module manages it (empty when it does not exist).
  returned: always
  type: dict
  sample:
    name: coredns
    version: v1.11.4-eksbuild.2
    status: ACTIVE
    arn: arn:aws:eks:us-east-1:123456789012:addon/eksplat/coredns/0123
    configuration_values: {replicaCount: 2}
    service_account_role_arn: null
    pod_identity_associations: []
    tags: {}
"""

import json

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.devsecops.eks_platform.plugins.module_utils.ec2 import paginate
from ansible_collections.devsecops.eks_platform.plugins.module_utils.eks import TRANSIENT_ERROR_CODES, call_while_iam_propagates, sync_tags

# and an add-on busy with a previous change
TRANSIENT = TRANSIENT_ERROR_CODES + ["ResourceInUseException"]


def _config(text):
    """Configuration values as data. AWS returns the text it was given: this module always gives
    JSON; YAML set elsewhere stays text, differs, and is replaced by the JSON once."""
    if not text:
        return {}
    try:
        return json.loads(text)
    except ValueError:
        return text


class Addon(object):
    def __init__(self, module, client):
        self.module = module
        self.client = client
        self.p = module.params
        self.changed = False

    def fail(self, e, msg):
        self.module.fail_json_aws(e, msg="%s (add-on %s of cluster %s)" % (msg, self.p["name"], self.p["cluster_name"]))

    def find(self):
        try:
            return self.client.describe_addon(clusterName=self.p["cluster_name"], addonName=self.p["name"],
                                              aws_retry=True)["addon"]
        except is_boto3_error_code("ResourceNotFoundException"):
            return None

    def associations(self, addon):
        """The Pod Identity associations the add-on owns: {service account: role ARN}."""
        if not addon or not addon.get("podIdentityAssociations"):
            return {}
        owned = [a for a in paginate(self.client, "list_pod_identity_associations", "associations",
                                     clusterName=self.p["cluster_name"]) if a.get("ownerArn") == addon["addonArn"]]
        result = {}
        for assoc in owned:
            full = self.client.describe_pod_identity_association(
                clusterName=self.p["cluster_name"], associationId=assoc["associationId"], aws_retry=True)["association"]
            result[full["serviceAccount"]] = full["roleArn"]
        return result

    def snapshot(self, addon):
        if not addon:
            return {}
        return dict(name=addon["addonName"], version=addon.get("addonVersion"), status=addon.get("status"),
                    arn=addon.get("addonArn"), configuration_values=_config(addon.get("configurationValues")),
                    service_account_role_arn=addon.get("serviceAccountRoleArn"),
                    pod_identity_associations=[dict(service_account=k, role_arn=v)
                                               for k, v in sorted(self.associations(addon).items())],
                    tags=addon.get("tags") or {})

    def wanted(self, have):
        """What the add-on should look like, from the options and, where an option is not given, from `have`."""
        want = dict(have) if have else dict(name=self.p["name"], version=None, configuration_values={},
                                            service_account_role_arn=None, pod_identity_associations=[], tags={})
        want.pop("status", None)
        want.pop("arn", None)
        if self.p["version"]:
            want["version"] = self.p["version"]
        if self.p["configuration_values"] is not None:
            want["configuration_values"] = self.p["configuration_values"]
        if self.p["service_account_role_arn"] is not None:
            want["service_account_role_arn"] = self.p["service_account_role_arn"] or None
        if self.p["pod_identity_associations"] is not None:
            want["pod_identity_associations"] = sorted(self.p["pod_identity_associations"],
                                                       key=lambda a: a["service_account"])
        if self.p["tags"] is not None:
            want["tags"] = dict(self.p["tags"]) if self.p["purge_tags"] else dict(want.get("tags") or {}, **self.p["tags"])
        return want

    def wait(self, waiter):
        delay = 10
        try:
            self.client.get_waiter(waiter).wait(
                clusterName=self.p["cluster_name"], addonName=self.p["name"],
                WaiterConfig={"Delay": delay, "MaxAttempts": max(1, self.p["wait_timeout"] // delay)})
        except botocore.exceptions.WaiterError as e:
            self.module.fail_json_aws(e, msg="Timed out or failed waiting for add-on %s of cluster %s (%s)"
                                      % (self.p["name"], self.p["cluster_name"], waiter))

    @staticmethod
    def _pod_identity(want):
        return [{"serviceAccount": a["service_account"], "roleArn": a["role_arn"]}
                for a in want["pod_identity_associations"]]

    def create(self, want):
        self.changed = True
        if self.module.check_mode:
            return
        kwargs = dict(clusterName=self.p["cluster_name"], addonName=self.p["name"],
                      resolveConflicts=self.p["resolve_conflicts"])
        if want["version"]:
            kwargs["addonVersion"] = want["version"]
        if want["configuration_values"]:
            kwargs["configurationValues"] = json.dumps(want["configuration_values"], sort_keys=True)
        if want["service_account_role_arn"]:
            kwargs["serviceAccountRoleArn"] = want["service_account_role_arn"]
        if want["pod_identity_associations"]:
            kwargs["podIdentityAssociations"] = self._pod_identity(want)
        if want["tags"]:
            kwargs["tags"] = want["tags"]
        try:
            call_while_iam_propagates(self.client.create_addon, **kwargs)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self.fail(e, "Failed to create")
        if self.p["wait"]:
            self.wait("addon_active")

    def update(self, have, want):
        kwargs = {}
        if want["version"] != have["version"]:
            kwargs["addonVersion"] = want["version"]
        if want["configuration_values"] != have["configuration_values"]:
            kwargs["configurationValues"] = json.dumps(want["configuration_values"], sort_keys=True)
        if want["service_account_role_arn"] != have["service_account_role_arn"]:
            kwargs["serviceAccountRoleArn"] = want["service_account_role_arn"] or ""
        if want["pod_identity_associations"] != have["pod_identity_associations"]:
            kwargs["podIdentityAssociations"] = self._pod_identity(want)
        if kwargs:
            self.changed = True
            if not self.module.check_mode:
                try:
                    call_while_iam_propagates(self.client.update_addon, clusterName=self.p["cluster_name"],
                                              addonName=self.p["name"], resolveConflicts=self.p["resolve_conflicts"], **kwargs)
                except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                    self.fail(e, "Failed to update")
                if self.p["wait"]:
                    self.wait("addon_active")
        self.sync_tags(have, want)

    def sync_tags(self, have, want):
        self.changed |= sync_tags(self.module, self.client, have["arn"], have["tags"], want["tags"])

    def delete(self):
        self.changed = True
        if self.module.check_mode:
            return
        try:
            self.client.delete_addon(clusterName=self.p["cluster_name"], addonName=self.p["name"],
                                     preserve=self.p["preserve"], aws_retry=True)
        except is_boto3_error_code("ResourceNotFoundException"):
            return
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
            self.fail(e, "Failed to delete")
        if self.p["wait"]:
            self.wait("addon_deleted")


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            cluster_name=dict(type="str", required=True),
            name=dict(type="str", required=True),
            version=dict(type="str"),
            configuration_values=dict(type="dict"),
            service_account_role_arn=dict(type="str"),
            pod_identity_associations=dict(type="list", elements="dict", options=dict(
                service_account=dict(type="str", required=True),
                role_arn=dict(type="str", required=True),
            )),
            resolve_conflicts=dict(type="str", choices=["NONE", "OVERWRITE", "PRESERVE"], default="OVERWRITE"),
            preserve=dict(type="bool", default=False),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=900),
        ),
        supports_check_mode=True,
    )
    client = module.client("eks", retry_decorator=AWSRetry.jittered_backoff(catch_extra_error_codes=TRANSIENT))
    addon = Addon(module, client)
    try:
        found = addon.find()
        before = addon.snapshot(found)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        addon.fail(e, "Failed to read")
    if module.params["state"] == "absent":
        if found:
            addon.delete()
        after = {}
    else:
        want = addon.wanted(before)
        if found and found.get("status") in ("CREATE_FAILED", "DELETE_FAILED"):
            module.fail_json(msg="add-on %s of cluster %s is %s: %s" % (
                module.params["name"], module.params["cluster_name"], found["status"],
                "; ".join(i.get("message", "") for i in (found.get("health") or {}).get("issues", []))), addon=before)
        if found:
            addon.update(before, want)
        else:
            addon.create(want)
        if module.check_mode or not addon.changed:
            after = dict(want, status=before.get("status"), arn=before.get("arn")) if addon.changed else before
        else:
            try:
                after = addon.snapshot(addon.find())
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                addon.fail(e, "Failed to read back")
    module.exit_json(changed=addon.changed, addon=after, diff={"before": before, "after": after})


if __name__ == "__main__":
    main()
