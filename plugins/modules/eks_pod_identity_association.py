#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devsecops.eks_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: eks_pod_identity_association
short_description: Give a Kubernetes service account an IAM role through EKS Pod Identity
version_added: 1.1.0
description:
  - Creates, updates or deletes the EKS Pod Identity association of one service account in one namespace
    (C(CreatePodIdentityAssociation), C(UpdatePodIdentityAssociation), C(DeletePodIdentityAssociation)). Pods that
    use the service account get the role's credentials from the Pod Identity agent; nodes keep their own role.
  - An association is found by its namespace and service account. Its role and session-tag setting are updated in
    place; an association an add-on owns (it has an C(ownerArn)) is refused, naming the add-on - change it through
    the add-on (M(devsecops.eks_platform.eks_addon)).
  - Throttling and EKS server errors are retried, and for up to two minutes the C(InvalidParameterException) EKS
    answers while an IAM role created moments ago has not propagated. Check mode and diff mode are supported.
  - No module for Pod Identity associations exists in amazon.aws or community.aws.
author:
  - DevSecOps Platform Team (@devsecops)
options:
  namespace:
    description: Kubernetes namespace of the service account.
    type: str
    required: true
  service_account:
    description: Name of the Kubernetes service account.
    type: str
    required: true
  role_arn:
    description: IAM role the pods get. Its trust policy must let C(pods.eks.amazonaws.com) assume and tag it. Required with O(state=present).
    type: str
  disable_session_tags:
    description: Leave out the session tags (cluster, namespace, service account, pod) EKS adds to the role session.
    type: bool
    default: false
  tags:
    description: Tags of the association, set when it is created.
    type: dict
    aliases: [resource_tags]
  state:
    description: Whether the association exists.
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
- name: Cluster Autoscaler's own role
  devsecops.eks_platform.eks_pod_identity_association:
    cluster_name: eksplat
    namespace: kube-system
    service_account: cluster-autoscaler
    role_arn: arn:aws:iam::123456789012:role/eksplat-cluster-autoscaler
"""

RETURN = r"""
association:
  description: The association (empty when it does not exist).
  returned: always
  type: dict
  sample:
    namespace: kube-system
    service_account: cluster-autoscaler
    role_arn: arn:aws:iam::123456789012:role/eksplat-cluster-autoscaler
    association_id: a-0123456789abcdef0
    disable_session_tags: false
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.devsecops.eks_platform.plugins.module_utils.ec2 import paginate
from ansible_collections.devsecops.eks_platform.plugins.module_utils.eks import TRANSIENT_ERROR_CODES, call_while_iam_propagates


def snapshot(assoc):
    if not assoc:
        return {}
    return dict(namespace=assoc["namespace"], service_account=assoc["serviceAccount"], role_arn=assoc["roleArn"],
                association_id=assoc["associationId"], disable_session_tags=bool(assoc.get("disableSessionTags")),
                owner_arn=assoc.get("ownerArn"))


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            cluster_name=dict(type="str", required=True),
            namespace=dict(type="str", required=True),
            service_account=dict(type="str", required=True),
            role_arn=dict(type="str"),
            disable_session_tags=dict(type="bool", default=False),
            tags=dict(type="dict", aliases=["resource_tags"]),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if p["state"] == "present" and not p["role_arn"]:
        module.fail_json(msg="role_arn: required with state=present")
    client = module.client("eks", retry_decorator=AWSRetry.jittered_backoff(catch_extra_error_codes=TRANSIENT_ERROR_CODES))
    where = "Pod Identity association of %s/%s in cluster %s" % (p["namespace"], p["service_account"], p["cluster_name"])
    try:
        found = paginate(client, "list_pod_identity_associations", "associations", clusterName=p["cluster_name"],
                         namespace=p["namespace"], serviceAccount=p["service_account"])
        before = snapshot(client.describe_pod_identity_association(
            clusterName=p["cluster_name"], associationId=found[0]["associationId"], aws_retry=True)["association"]) if found else {}
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="Failed to read the " + where)
    if before.get("owner_arn"):
        module.fail_json(msg="The %s belongs to %s: change it through that add-on" % (where, before["owner_arn"]),
                         association=before)

    changed = False
    after = before
    try:
        if p["state"] == "absent":
            if before:
                changed = True
                if not module.check_mode:
                    client.delete_pod_identity_association(clusterName=p["cluster_name"],
                                                           associationId=before["association_id"], aws_retry=True)
            after = {}
        elif not before:
            changed = True
            after = dict(namespace=p["namespace"], service_account=p["service_account"], role_arn=p["role_arn"],
                         association_id=None, disable_session_tags=p["disable_session_tags"], owner_arn=None)
            if not module.check_mode:
                kwargs = dict(clusterName=p["cluster_name"], namespace=p["namespace"], serviceAccount=p["service_account"],
                              roleArn=p["role_arn"], disableSessionTags=p["disable_session_tags"])
                if p["tags"]:
                    kwargs["tags"] = p["tags"]
                after = snapshot(call_while_iam_propagates(client.create_pod_identity_association, **kwargs)["association"])
        elif (before["role_arn"], before["disable_session_tags"]) != (p["role_arn"], p["disable_session_tags"]):
            changed = True
            after = dict(before, role_arn=p["role_arn"], disable_session_tags=p["disable_session_tags"])
            if not module.check_mode:
                after = snapshot(call_while_iam_propagates(
                    client.update_pod_identity_association, clusterName=p["cluster_name"],
                    associationId=before["association_id"], roleArn=p["role_arn"],
                    disableSessionTags=p["disable_session_tags"])["association"])
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="Failed to change the " + where)
    module.exit_json(changed=changed, association=after, diff={"before": before, "after": after})


if __name__ == "__main__":
    main()
