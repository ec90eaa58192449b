#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devsecops.eks_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sns_topic_encryption
short_description: Server-side encryption of an existing SNS topic with a KMS key
version_added: 1.1.0
description:
  - Sets or removes the C(KmsMasterKeyId) attribute of an SNS topic (C(GetTopicAttributes), C(SetTopicAttributes)).
  - C(community.aws.sns_topic) creates topics and their subscriptions but cannot encrypt them; use it first, then this.
  - Transient SNS errors and throttling are retried.
author:
  - DevSecOps Platform Team (@devsecops)
options:
  topic_arn:
    description: ARN of the topic.
    type: str
    required: true
  kms_key_id:
    description:
      - Key that encrypts the topic's messages at rest - a key ID, ARN, alias name (C(alias/...)) or alias ARN;
        C(alias/aws/sns) is SNS's AWS-managed key. An empty string turns encryption off.
      - The key policy must let the services that publish (CloudWatch alarms, for example) use the key; the
        AWS-managed key does not let CloudWatch publish.
    type: str
    required: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The on-call topic
  community.aws.sns_topic:
    name: eksplat-us-east-1-oncall
  register: topic

- name: Encrypted with the stack's key
  devsecops.eks_platform.sns_topic_encryption:
    topic_arn: "{{ topic.sns_arn }}"
    kms_key_id: alias/eksplat-us-east-1-oncall
"""

RETURN = r"""
kms_key_id:
  description: The topic's key after the run (empty when it is not encrypted).
  returned: always
  type: str
  sample: alias/eksplat-us-east-1-oncall
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# SNS's transient answers besides throttling
TRANSIENT = ["InternalError", "ServiceUnavailable"]


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(topic_arn=dict(type="str", required=True), kms_key_id=dict(type="str", required=True, no_log=False)),
        supports_check_mode=True,
    )
    arn, want = module.params["topic_arn"], module.params["kms_key_id"]
    client = module.client("sns", retry_decorator=AWSRetry.jittered_backoff(catch_extra_error_codes=TRANSIENT))
    try:
        have = client.get_topic_attributes(TopicArn=arn, aws_retry=True)["Attributes"].get("KmsMasterKeyId", "")
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="Failed to read topic %s" % arn)
    changed = have != want
    if changed and not module.check_mode:
        try:
            client.set_topic_attributes(TopicArn=arn, AttributeName="KmsMasterKeyId", AttributeValue=want, aws_retry=True)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            module.fail_json_aws(e, msg="Failed to set the key of topic %s" % arn)
    module.exit_json(changed=changed, kms_key_id=want, diff={"before": {"kms_key_id": have}, "after": {"kms_key_id": want}})


if __name__ == "__main__":
    main()
