# -*- coding: utf-8 -*-
# Copyright: devsecops.eks_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What this collection's EKS modules share."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import time

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

# EKS's transient answers besides throttling (which AWSRetry retries by itself). Modules add what
# is transient only for them, such as ResourceInUseException while an add-on applies a change.
TRANSIENT_ERROR_CODES = ["ServerException", "ServiceUnavailableException"]

# What EKS answers (InvalidParameterException) while an IAM role created moments ago has not
# propagated: CreateCluster "Role with arn: ... could not be assumed because it does not exist or
# the trusted entity is not correct", CreateAccessEntry "The specified principalArn is invalid:
# invalid principal", a Pod Identity association's "role ... cannot be found".
PROPAGATION = re.compile(r"could not be assumed|does not exist|invalid principal|cannot be found", re.IGNORECASE)


def call_while_iam_propagates(call, timeout=120, **kwargs):
    """call(aws_retry=True, **kwargs), again while EKS answers that a new IAM role is not usable yet,
    for up to `timeout` seconds (IAM is eventually consistent; AWSRetry retries only transient codes)."""
    deadline = time.time() + timeout
    delay = 5
    while True:
        try:
            return call(aws_retry=True, **kwargs)
        except botocore.exceptions.ClientError as e:
            error = e.response.get("Error", {})
            propagating = error.get("Code") == "InvalidParameterException" and PROPAGATION.search(error.get("Message", ""))
            if not propagating or time.time() + delay > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 30)


def sync_tags(module, client, arn, have, want):
    """Tag and untag the EKS resource `arn` from the tags `have` to `want`; whether anything changes."""
    add = dict((k, v) for k, v in want.items() if have.get(k) != v)
    remove = [k for k in have if k not in want]
    if not (add or remove):
        return False
    if not module.check_mode:
        try:
            if remove:
                client.untag_resource(resourceArn=arn, tagKeys=remove, aws_retry=True)
            if add:
                client.tag_resource(resourceArn=arn, tags=add, aws_retry=True)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            module.fail_json_aws(e, msg="Failed to tag %s" % arn)
    return True


def wait_for_update(module, describe, update, timeout, what):
    """Poll describe(updateId=...) until the EKS update is done, for up to `timeout` seconds; fail with
    EKS's errors if it failed. `what` names the cluster or node group in messages."""
    deadline = time.time() + timeout
    delay = 2  # most updates take minutes, some seconds: poll soon, then every 30 s
    while update.get("status") == "InProgress":
        if time.time() > deadline:
            module.fail_json(msg="Timed out waiting for update %s (%s) of %s" % (update["id"], update.get("type"), what))
        time.sleep(delay)
        delay = min(delay * 2, 30)
        try:
            update = describe(updateId=update["id"], aws_retry=True)["update"]
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            module.fail_json_aws(e, msg="Failed to read update %s of %s" % (update["id"], what))
    if update.get("status") != "Successful":
        module.fail_json(msg="Update %s (%s) of %s is %s: %s" % (
            update["id"], update.get("type"), what, update.get("status"),
            "; ".join("%s %s" % (e.get("errorCode"), e.get("errorMessage")) for e in update.get("errors") or [])))


def find_cluster(client, name):
    """DescribeCluster's cluster, or None when there is none (other errors are raised)."""
    try:
        return client.describe_cluster(name=name, aws_retry=True)["cluster"]
    except is_boto3_error_code("ResourceNotFoundException"):
        return None


def cluster_snapshot(cluster):
    """DescribeCluster's answer as this collection's EKS modules return it (empty when there is none)."""
    if not cluster:
        return {}
    vpc = cluster.get("resourcesVpcConfig") or {}
    logging = [t for setup in (cluster.get("logging") or {}).get("clusterLogging", []) if setup.get("enabled")
               for t in setup.get("types", [])]
    keys = [c.get("provider", {}).get("keyArn") for c in cluster.get("encryptionConfig") or []
            if "secrets" in c.get("resources", [])]
    public = vpc.get("endpointPublicAccess", True)
    return dict(
        name=cluster["name"], arn=cluster.get("arn"), status=cluster.get("status"), version=cluster.get("version"),
        endpoint=cluster.get("endpoint"), role_arn=cluster.get("roleArn"),
        subnets=sorted(vpc.get("subnetIds") or []), security_groups=sorted(vpc.get("securityGroupIds") or []),
        cluster_security_group=vpc.get("clusterSecurityGroupId"), vpc_id=vpc.get("vpcId"),
        endpoint_private_access=vpc.get("endpointPrivateAccess", False), endpoint_public_access=public,
        # EKS reports 0.0.0.0/0 for a private endpoint: only meaningful when the endpoint is public
        public_access_cidrs=sorted(vpc.get("publicAccessCidrs") or []) if public else [],
        logging_types=sorted(set(logging)), encryption_key_arn=keys[0] if keys else None,
        # a cluster created before access entries existed reports no accessConfig: CONFIG_MAP
        authentication_mode=(cluster.get("accessConfig") or {}).get("authenticationMode", "CONFIG_MAP"),
        certificate_authority=(cluster.get("certificateAuthority") or {}).get("data"),
        oidc_issuer=((cluster.get("identity") or {}).get("oidc") or {}).get("issuer"),
        service_ipv4_cidr=(cluster.get("kubernetesNetworkConfig") or {}).get("serviceIpv4Cidr"),
        tags=cluster.get("tags") or {})
