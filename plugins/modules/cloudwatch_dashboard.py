#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devsecops.eks_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: cloudwatch_dashboard
short_description: Manage a CloudWatch dashboard, idempotent on its JSON body
version_added: 1.1.0
description:
  - Creates, updates or deletes a CloudWatch dashboard (C(PutDashboard), C(DeleteDashboards)).
  - The body is compared as data with the live one (C(GetDashboard)), so key order and whitespace are no change;
    C(--diff) shows the body before and after.
  - A body CloudWatch refuses fails with CloudWatch's validation messages; the warnings C(PutDashboard) returns
    for an accepted body are passed on as warnings.
  - Neither amazon.aws nor community.aws has a dashboard module. Transient CloudWatch errors and throttling are
    retried.
author:
  - DevSecOps Platform Team (@devsecops)
options:
  name:
    description: Name of the dashboard (up to 255 letters, digits, C(-) and C(_)).
    type: str
    required: true
  body:
    description:
      - The dashboard body as data (C(widgets), optionally C(start), C(periodOverride)...), see the CloudWatch
        dashboard body structure. Required with O(state=present).
    type: dict
  state:
    description: Whether the dashboard exists.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The region's dashboard
  devsecops.eks_platform.cloudwatch_dashboard:
    name: eksplat-us-east-1
    region: us-east-1
    body:
      widgets:
        - type: metric
          x: 0
          y: 0
          width: 12
          height: 6
          properties:
            title: NLB healthy hosts
            region: us-east-1
            metrics:
              - [AWS/NetworkELB, HealthyHostCount, TargetGroup, targetgroup/eksplat/0123, LoadBalancer, net/eksplat/4567]

- name: Remove it
  devsecops.eks_platform.cloudwatch_dashboard:
    name: eksplat-us-east-1
    state: absent
"""

RETURN = r"""
dashboard:
  description: The dashboard (empty when it does not exist).
  returned: always
  type: dict
  sample:
    name: eksplat-us-east-1
    arn: arn:aws:cloudwatch::123456789012:dashboard/eksplat-us-east-1
    body: {widgets: []}
"""

import json
import re

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# CloudWatch's transient answers besides throttling: InternalServiceFault's code, a 503, and the
# ConflictException of a concurrent change to the same dashboard
TRANSIENT = ["InternalServiceError", "ServiceUnavailable", "ConflictException"]
NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


def read(module, client, name):
    try:
        found = client.get_dashboard(DashboardName=name, aws_retry=True)
    except is_boto3_error_code("ResourceNotFound"):
        return {}
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to read dashboard %s" % name)
    return dict(name=found["DashboardName"], arn=found.get("DashboardArn"), body=json.loads(found.get("DashboardBody") or "{}"))


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            body=dict(type="dict"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        required_if=[("state", "present", ["body"])],
        supports_check_mode=True,
    )
    name = module.params["name"]
    if not NAME.match(name):
        module.fail_json(msg="name: %r is not a dashboard name (up to 255 letters, digits, - and _)" % name)
    client = module.client("cloudwatch", retry_decorator=AWSRetry.jittered_backoff(catch_extra_error_codes=TRANSIENT))
    before = read(module, client, name)
    after, changed = before, False
    if module.params["state"] == "absent":
        if before:
            changed, after = True, {}
            if not module.check_mode:
                try:
                    client.delete_dashboards(DashboardNames=[name], aws_retry=True)
                except is_boto3_error_code("ResourceNotFound"):
                    pass
                except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
                    module.fail_json_aws(e, msg="Failed to delete dashboard %s" % name)
    else:
        body = module.params["body"]
        if before.get("body") != body:
            changed = True
            after = dict(before, name=name, body=body)
            if not module.check_mode:
                try:
                    answer = client.put_dashboard(DashboardName=name, DashboardBody=json.dumps(body, sort_keys=True),
                                                  aws_retry=True)
                except is_boto3_error_code("InvalidParameterInput") as e:
                    messages = e.response.get("dashboardValidationMessages") or e.response.get("DashboardValidationMessages") or []
                    module.fail_json(msg="body: CloudWatch refused dashboard %s: %s" % (name, "; ".join(
                        "%s %s" % (m.get("DataPath", ""), m.get("Message", "")) for m in messages) or str(e)))
                except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
                    module.fail_json_aws(e, msg="Failed to write dashboard %s" % name)
                for message in answer.get("DashboardValidationMessages") or []:
                    module.warn("dashboard %s: %s %s" % (name, message.get("DataPath", ""), message.get("Message", "")))
                after = read(module, client, name)
    module.exit_json(changed=changed, dashboard=after,
                     diff={"before": before.get("body", {}), "after": after.get("body", {})})


if __name__ == "__main__":
    main()
