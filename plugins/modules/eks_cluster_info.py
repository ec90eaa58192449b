#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devsecops.eks_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: eks_cluster_info
short_description: Read an Amazon EKS cluster - endpoint, certificate authority, version, access settings
version_added: 1.1.0
description:
  - Reads one EKS cluster (C(DescribeCluster)) and returns it in the shape M(devsecops.eks_platform.eks_cluster)
    returns, for example to write a kubeconfig for its endpoint. Changes nothing.
  - Neither amazon.aws nor community.aws has an info module for EKS clusters.
  - Transient EKS errors and throttling are retried.
author:
  - DevSecOps Platform Team (@devsecops)
options:
  name:
    description: Name of the cluster.
    type: str
    required: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read the cluster the jump host's kubeconfig points at
  devsecops.eks_platform.eks_cluster_info:
    name: eksplat-us-east-1
    region: us-east-1
  register: eks
"""

RETURN = r"""
exists:
  description: Whether the cluster exists.
  returned: always
  type: bool
cluster:
  description: The cluster (empty when it does not exist); the same keys as M(devsecops.eks_platform.eks_cluster) returns.
  returned: always
  type: dict
  sample:
    name: eksplat-us-east-1
    arn: arn:aws:eks:us-east-1:123456789012:cluster/eksplat-us-east-1
    status: ACTIVE
    version: "1.31"
    endpoint: https://0123.gr7.us-east-1.eks.amazonaws.com
    endpoint_private_access: true
    endpoint_public_access: false
    authentication_mode: API
    certificate_authority: LS0tLS1CRUdJTi...
    service_ipv4_cidr: 172.20.0.0/16
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.devsecops.eks_platform.plugins.module_utils.eks import TRANSIENT_ERROR_CODES, cluster_snapshot, find_cluster


def main():
    module = AnsibleAWSModule(argument_spec=dict(name=dict(type="str", required=True)), supports_check_mode=True)
    client = module.client("eks", retry_decorator=AWSRetry.jittered_backoff(catch_extra_error_codes=TRANSIENT_ERROR_CODES))
    try:
        found = find_cluster(client, module.params["name"])
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="Failed to read cluster %s" % module.params["name"])
    module.exit_json(changed=False, exists=found is not None, cluster=cluster_snapshot(found))


if __name__ == "__main__":
    main()
