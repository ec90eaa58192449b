#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devsecops.eks_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: eks_cluster
short_description: Manage an Amazon EKS cluster with a private endpoint, control-plane logs, secrets encryption and upgrades
version_added: 1.1.0
description:
  - Creates, updates or deletes an EKS cluster (C(CreateCluster), C(UpdateClusterConfig), C(AssociateEncryptionConfig),
    C(UpdateClusterVersion), C(DeleteCluster)).
  - A new cluster is created with every setting at once, so a private cluster never has a public endpoint, not even
    while it is created. C(community.aws.eks_cluster) cannot set endpoint access, control-plane logging,
    secrets encryption or the authentication mode, and reports no change to them; this module compares and repairs each.
  - An existing cluster is compared field by field. EKS runs one update at a time; each is applied and waited for
    (C(DescribeUpdate)) before the next, and a failed update fails the task with EKS's error.
  - What EKS cannot do is refused before any change, naming the option - a Kubernetes version more than one minor
    version ahead or behind, another secrets encryption key, or an authentication mode going back towards
    C(CONFIG_MAP).
  - A cluster that still has node groups is not deleted; the task fails naming them.
  - Retries throttling, EKS's server errors, a cluster busy with another update (C(ResourceInUseException)) and, on
    creation, the C(InvalidParameterException) EKS returns while a new IAM role has not propagated.
  - Check mode and diff mode are supported.
author:
  - DevSecOps Platform Team (@devsecops)
options:
  name:
    description: Name of the cluster.
    type: str
    required: true
  version:
    description:
      - Kubernetes version (C(1.31)). Without it, a new cluster gets EKS's default and an existing one keeps its own.
      - An existing cluster is upgraded by one minor version at a time; a version further ahead, or older, is refused.
    type: str
  role_arn:
    description: IAM role of the control plane. Required to create a cluster.
    type: str
  subnets:
    description: Subnet IDs of the control plane's network interfaces. Required to create a cluster.
    type: list
    elements: str
  security_groups:
    description: Extra security groups of the control plane's network interfaces.
    type: list
    elements: str
  endpoint_private_access:
    description: Whether the API server endpoint is reachable from the VPC.
    type: bool
    default: true
  endpoint_public_access:
    description: Whether the API server endpoint is reachable from the internet.
    type: bool
    default: false
  public_access_cidrs:
    description: CIDRs that may reach the public endpoint (only with O(endpoint_public_access=true)).
    type: list
    elements: str
  logging_types:
    description: Control-plane log types sent to CloudWatch Logs; the others are turned off.
    type: list
    elements: str
    choices: [api, audit, authenticator, controllerManager, scheduler]
    default: [api, audit, authenticator, controllerManager, scheduler]
  encryption_key_arn:
    description:
      - KMS key ARN for envelope encryption of Kubernetes secrets. Once on, it cannot be turned off or moved to another key.
    type: str
  authentication_mode:
    description:
      - How IAM principals are mapped to Kubernetes identities. C(API) uses access entries only. A cluster moves
        C(CONFIG_MAP) -> C(API_AND_CONFIG_MAP) -> C(API), never back.
    type: str
    choices: [API, API_AND_CONFIG_MAP, CONFIG_MAP]
    default: API
  bootstrap_cluster_creator_admin_permissions:
    description:
      - Whether the creator of a new cluster gets an administrator access entry. Off by default - administrators are
        granted through access entries (M(devsecops.eks_platform.eks_access_entry)).
    type: bool
    default: false
  service_ipv4_cidr:
    description: CIDR of Kubernetes service addresses, set at creation only.
    type: str
  tags:
    description: Tags of the cluster.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove the tags that O(tags) does not list.
    type: bool
    default: true
  state:
    description: Whether the cluster exists.
    type: str
    choices: [present, absent]
    default: present
  wait:
    description: Wait until the cluster is C(ACTIVE) and each update is done (or the cluster is gone).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for each step (a cluster takes 10 to 15 minutes to create, an upgrade up to 30).
    type: int
    default: 2400
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: A private cluster with all control-plane logs and encrypted secrets
  devsecops.eks_platform.eks_cluster:
    name: eksplat-us-east-1
    version: "1.31"
    role_arn: arn:aws:iam::123456789012:role/eksplat-us-east-1-eks-cluster
    subnets: [subnet-0a, subnet-0b, subnet-0c]
    security_groups: [sg-0123]
    encryption_key_arn: arn:aws:kms:us-east-1:123456789012:key/0e7c0b5a-1111-2222-3333-444455556666

- name: Upgrade by one minor version
  devsecops.eks_platform.eks_cluster:
    name: eksplat-us-east-1
    version: "1.32"

- name: Delete it (node groups first)
  devsecops.eks_platform.eks_cluster:
    name: eksplat-us-east-1
    state: absent
"""

RETURN = r"""
cluster:
  description: The cluster as this module manages it (empty when it does not exist).
  returned: always
  type: dict
  sample:
    name: eksplat-us-east-1
    arn: arn:aws:eks:us-east-1:123456789012:cluster/eksplat-us-east-1
    status: ACTIVE
    version: "1.31"
    endpoint: https://0123.gr7.us-east-1.eks.amazonaws.com
    role_arn: arn:aws:iam::123456789012:role/eksplat-us-east-1-eks-cluster
    subnets: [subnet-0a, subnet-0b]
    security_groups: [sg-0123]
    cluster_security_group: sg-0456
    vpc_id: vpc-0789
    endpoint_private_access: true
    endpoint_public_access: false
    public_access_cidrs: []
    logging_types: [api, audit, authenticator, controllerManager, scheduler]
    encryption_key_arn: arn:aws:kms:us-east-1:123456789012:key/0e7c0b5a-1111-2222-3333-444455556666
    authentication_mode: API
    certificate_authority: LS0tLS1CRUdJTi...
    service_ipv4_cidr: 172.20.0.0/16
    oidc_issuer: https://oidc.eks.us-east-1.amazonaws.com/id/0123
    tags: {}
"""

import functools
import re

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.devsecops.eks_platform.plugins.module_utils.ec2 import paginate
from ansible_collections.devsecops.eks_platform.plugins.module_utils.eks import (
    TRANSIENT_ERROR_CODES, call_while_iam_propagates, cluster_snapshot, find_cluster, sync_tags, wait_for_update)

LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
AUTH_ORDER = ["CONFIG_MAP", "API_AND_CONFIG_MAP", "API"]
# a cluster busy with another update refuses the next one
TRANSIENT = TRANSIENT_ERROR_CODES + ["ResourceInUseException"]


def _minor(version):
    match = re.match(r"^(\d+)\.(\d+)$", version or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


class Cluster(object):
    def __init__(self, module, client):
        self.module = module
        self.client = client
        self.p = module.params
        self.changed = False

    def fail(self, e, msg):
        self.module.fail_json_aws(e, msg="%s (cluster %s)" % (msg, self.p["name"]))

    def find(self):
        return find_cluster(self.client, self.p["name"])

    snapshot = staticmethod(cluster_snapshot)

    def wanted(self, have):
        p = self.p
        want = dict(have) if have else dict(name=p["name"], version=None, role_arn=p["role_arn"], subnets=[],
                                            security_groups=[], encryption_key_arn=None, tags={})
        if p["version"]:
            want["version"] = p["version"]
        if p["subnets"] is not None:
            want["subnets"] = sorted(p["subnets"])
        if p["security_groups"] is not None:
            want["security_groups"] = sorted(p["security_groups"])
        want["endpoint_private_access"] = p["endpoint_private_access"]
        want["endpoint_public_access"] = p["endpoint_public_access"]
        want["public_access_cidrs"] = sorted(p["public_access_cidrs"] or ["0.0.0.0/0"]) if p["endpoint_public_access"] else []
        want["logging_types"] = sorted(set(p["logging_types"]))
        if p["encryption_key_arn"]:
            want["encryption_key_arn"] = p["encryption_key_arn"]
        want["authentication_mode"] = p["authentication_mode"]
        if p["tags"] is not None:
            want["tags"] = dict(p["tags"]) if p["purge_tags"] else dict(want.get("tags") or {}, **p["tags"])
        return want

    def refuse(self, have, want):
        """What EKS cannot do, refused before any change, naming the option."""
        p = self.p
        if have.get("version") and want["version"] != have["version"]:
            now, then = _minor(have["version"]), _minor(want["version"])
            if not then:
                self.module.fail_json(msg="version: %r is not a Kubernetes minor version such as 1.31" % want["version"])
            if now and (then[0] != now[0] or then[1] not in (now[1], now[1] + 1)):
                self.module.fail_json(msg="version: %s cannot follow %s - EKS upgrades one minor version at a time "
                                      "and never downgrades; set version to %d.%d first"
                                      % (want["version"], have["version"], now[0], now[1] + 1))
        if have.get("encryption_key_arn") and want["encryption_key_arn"] != have["encryption_key_arn"]:
            self.module.fail_json(msg="encryption_key_arn: the cluster's secrets are encrypted with %s; EKS cannot "
                                  "change or remove the key" % have["encryption_key_arn"])
        if have and AUTH_ORDER.index(want["authentication_mode"]) < AUTH_ORDER.index(have["authentication_mode"]):
            self.module.fail_json(msg="authentication_mode: %s cannot follow %s - EKS moves CONFIG_MAP -> "
                                  "API_AND_CONFIG_MAP -> API only" % (want["authentication_mode"], have["authentication_mode"]))
        if not have:
            missing = [k for k in ("role_arn", "subnets") if not p[k]]
            if missing:
                self.module.fail_json(msg="%s: required to create cluster %s" % (missing[0], p["name"]))
            if want["version"] and not _minor(want["version"]):
                self.module.fail_json(msg="version: %r is not a Kubernetes minor version such as 1.31" % want["version"])

    def _vpc_config(self, want, create):
        config = dict(endpointPrivateAccess=want["endpoint_private_access"],
                      endpointPublicAccess=want["endpoint_public_access"])
        if want["endpoint_public_access"]:
            config["publicAccessCidrs"] = want["public_access_cidrs"]
        if create:
            config.update(subnetIds=want["subnets"], securityGroupIds=want["security_groups"])
        return config

    @staticmethod
    def _logging(want):
        on = [t for t in LOG_TYPES if t in want["logging_types"]]
        off = [t for t in LOG_TYPES if t not in want["logging_types"]]
        return {"clusterLogging": [s for s in ({"types": on, "enabled": True}, {"types": off, "enabled": False})
                                   if s["types"]]}

    def create(self, want):
        self.changed = True
        if self.module.check_mode:
            return
        p = self.p
        kwargs = dict(name=p["name"], roleArn=want["role_arn"], resourcesVpcConfig=self._vpc_config(want, True),
                      logging=self._logging(want),
                      accessConfig=dict(authenticationMode=want["authentication_mode"],
                                        bootstrapClusterCreatorAdminPermissions=p["bootstrap_cluster_creator_admin_permissions"]))
        if want["version"]:
            kwargs["version"] = want["version"]
        if want["encryption_key_arn"]:
            kwargs["encryptionConfig"] = [{"resources": ["secrets"], "provider": {"keyArn": want["encryption_key_arn"]}}]
        if p["service_ipv4_cidr"]:
            kwargs["kubernetesNetworkConfig"] = {"serviceIpv4Cidr": p["service_ipv4_cidr"]}
        if want["tags"]:
            kwargs["tags"] = want["tags"]
        try:
            # a role or key created moments ago: IAM is eventually consistent
            call_while_iam_propagates(self.client.create_cluster, timeout=min(p["wait_timeout"], 300), **kwargs)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self.fail(e, "Failed to create")
        if p["wait"]:
            self.wait_waiter("cluster_active")

    def wait_waiter(self, waiter):
        delay = 30
        try:
            self.client.get_waiter(waiter).wait(name=self.p["name"], WaiterConfig={
                "Delay": delay, "MaxAttempts": max(1, self.p["wait_timeout"] // delay)})
        except botocore.exceptions.WaiterError as e:
            self.module.fail_json_aws(e, msg="Timed out or failed waiting for cluster %s (%s)" % (self.p["name"], waiter))

    def wait_update(self, update):
        if self.p["wait"]:
            describe = functools.partial(self.client.describe_update, name=self.p["name"])
            wait_for_update(self.module, describe, update, self.p["wait_timeout"], "cluster %s" % self.p["name"])

    def apply(self, what, call, **kwargs):
        self.changed = True
        if self.module.check_mode:
            return
        try:
            update = getattr(self.client, call)(aws_retry=True, **kwargs)["update"]
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self.fail(e, "Failed to update %s" % what)
        self.wait_update(update)

    def update(self, have, want):
        name = self.p["name"]
        if have.get("status") in ("CREATING", "UPDATING") and self.p["wait"] and not self.module.check_mode:
            self.wait_waiter("cluster_active")
        vpc_keys = ("endpoint_private_access", "endpoint_public_access", "public_access_cidrs")
        if any(have[k] != want[k] for k in vpc_keys):
            self.apply("endpoint access", "update_cluster_config", name=name, resourcesVpcConfig=self._vpc_config(want, False))
        if have["subnets"] != want["subnets"] or have["security_groups"] != want["security_groups"]:
            self.apply("subnets and security groups", "update_cluster_config", name=name,
                       resourcesVpcConfig=dict(subnetIds=want["subnets"], securityGroupIds=want["security_groups"]))
        if have["logging_types"] != want["logging_types"]:
            self.apply("logging", "update_cluster_config", name=name, logging=self._logging(want))
        for mode in AUTH_ORDER[AUTH_ORDER.index(have["authentication_mode"]) + 1:AUTH_ORDER.index(want["authentication_mode"]) + 1]:
            self.apply("authentication mode", "update_cluster_config", name=name, accessConfig={"authenticationMode": mode})
        if want["encryption_key_arn"] and not have["encryption_key_arn"]:
            self.apply("secrets encryption", "associate_encryption_config", clusterName=name,
                       encryptionConfig=[{"resources": ["secrets"], "provider": {"keyArn": want["encryption_key_arn"]}}])
        if want["version"] != have["version"]:
            self.apply("version", "update_cluster_version", name=name, version=want["version"])
        self.sync_tags(have, want)

    def sync_tags(self, have, want):
        self.changed |= sync_tags(self.module, self.client, have["arn"], have["tags"], want["tags"])

    def delete(self):
        try:
            groups = paginate(self.client, "list_nodegroups", "nodegroups", clusterName=self.p["name"])
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self.fail(e, "Failed to list node groups")
        if groups:
            self.module.fail_json(msg="cluster %s still has node groups %s: delete them first"
                                  % (self.p["name"], ", ".join(sorted(groups))))
        self.changed = True
        if self.module.check_mode:
            return
        try:
            self.client.delete_cluster(name=self.p["name"], aws_retry=True)
        except is_boto3_error_code("ResourceNotFoundException"):
            return
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
            self.fail(e, "Failed to delete")
        if self.p["wait"]:
            self.wait_waiter("cluster_deleted")


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            version=dict(type="str"),
            role_arn=dict(type="str"),
            subnets=dict(type="list", elements="str"),
            security_groups=dict(type="list", elements="str"),
            endpoint_private_access=dict(type="bool", default=True),
            endpoint_public_access=dict(type="bool", default=False),
            public_access_cidrs=dict(type="list", elements="str"),
            logging_types=dict(type="list", elements="str", choices=LOG_TYPES, default=LOG_TYPES),
            encryption_key_arn=dict(type="str", no_log=False),
            authentication_mode=dict(type="str", choices=AUTH_ORDER, default="API"),
            bootstrap_cluster_creator_admin_permissions=dict(type="bool", default=False),
            service_ipv4_cidr=dict(type="str"),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=2400),
        ),
        supports_check_mode=True,
    )
    client = module.client("eks", retry_decorator=AWSRetry.jittered_backoff(catch_extra_error_codes=TRANSIENT))
    cluster = Cluster(module, client)
    try:
        found = cluster.find()
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        cluster.fail(e, "Failed to read")
    before = cluster.snapshot(found)
    if module.params["state"] == "absent":
        if found and found.get("status") != "DELETING":
            cluster.delete()
        elif found and module.params["wait"] and not module.check_mode:
            cluster.wait_waiter("cluster_deleted")
        after = {}
    else:
        if found and found.get("status") in ("FAILED", "DELETING"):
            module.fail_json(msg="cluster %s is %s" % (module.params["name"], found["status"]), cluster=before)
        want = cluster.wanted(before)
        cluster.refuse(before, want)
        if found:
            cluster.update(before, want)
        else:
            cluster.create(want)
        if not cluster.changed:
            after = before
        elif module.check_mode:
            after = dict(want, status=before.get("status"), arn=before.get("arn"))
        else:
            try:
                after = cluster.snapshot(cluster.find())
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                cluster.fail(e, "Failed to read back")
    diff_keys = [k for k in before.keys() | (after or {}).keys() if k not in ("status", "certificate_authority")]
    module.exit_json(changed=cluster.changed, cluster=after, diff={
        "before": dict((k, before.get(k)) for k in diff_keys if k in before),
        "after": dict((k, after.get(k)) for k in diff_keys if k in after)})


if __name__ == "__main__":
    main()
