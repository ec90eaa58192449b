#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devsecops.eks_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: synthetics_canary
short_description: A CloudWatch Synthetics canary from a script, running or stopped
version_added: 1.1.0
description:
  - Creates, updates, starts, stops and deletes a CloudWatch Synthetics canary. Neither amazon.aws nor community.aws has
    a module for canaries.
  - The script is zipped where the runtime looks for it (C(nodejs/node_modules/<file>.js) for Node.js runtimes,
    C(python/<file>.py) for Python ones). GetCanary does not return the code, so its SHA-256 is kept in the canary's
    tag C(devsecops:script-sha256); a changed script (or a missing tag) updates the code.
  - Schedule, timeout, retention, runtime, role, artifact location and encryption are compared with GetCanary and
    updated in one UpdateCanary call.
  - Waits after each change until the canary leaves C(CREATING), C(UPDATING), C(STARTING), C(STOPPING) or
    C(DELETING) (there is no botocore waiter). A running canary is stopped before it is deleted, as AWS requires.
  - Throttling, internal errors and C(ConflictException) (a change still settling) are retried. A canary left in
    C(ERROR) by a change fails the run with its reason; the next run rebuilds it with its code.
author:
  - DevSecOps Platform Team (@devsecops)
options:
  name:
    description: Canary name (lowercase letters, digits, hyphens and underscores).
    type: str
    required: true
  state:
    description: Whether the canary exists.
    type: str
    choices: [present, absent]
    default: present
  script:
    description: The canary's source (required with I(state=present)).
    type: str
  handler:
    description: C(<file>.<function>); the script is stored as that file.
    type: str
    default: canary.handler
  runtime_version:
    description: Synthetics runtime, such as C(syn-nodejs-puppeteer-9.1) or C(syn-python-selenium-5.1).
    type: str
    default: syn-nodejs-puppeteer-9.1
  execution_role_arn:
    description: Role the canary runs as (lambda.amazonaws.com trust; writes its artifacts, logs and metrics).
    type: str
  artifact_s3_location:
    description: Where the canary writes its artifacts, C(s3://bucket/prefix) (no C(s3://) prefix is also accepted).
    type: str
  artifact_encryption:
    description: C(SSE_S3), or C(SSE_KMS) with I(artifact_kms_key_arn).
    type: str
    choices: [SSE_S3, SSE_KMS]
    default: SSE_S3
  artifact_kms_key_arn:
    description: KMS key of the artifacts (C(SSE_KMS)).
    type: str
  schedule_expression:
    description: C(rate(N minutes)), C(rate(0 minute)) (once) or C(cron(...)).
    type: str
    default: rate(5 minutes)
  timeout:
    description: Seconds a run may take (at most the schedule's period).
    type: int
    default: 60
  success_retention_days:
    description: Days successful runs' data is kept.
    type: int
    default: 31
  failure_retention_days:
    description: Days failed runs' data is kept.
    type: int
    default: 31
  environment:
    description: Environment variables of the runs (not secrets - they are visible in the canary's configuration).
    type: dict
    default: {}
  running:
    description: Whether the canary runs on its schedule (started) or is stopped.
    type: bool
    default: true
  tags:
    description: Tags (besides C(devsecops:script-sha256), which the module keeps).
    type: dict
    default: {}
  wait_timeout:
    description: Seconds to wait for each change to settle.
    type: int
    default: 300
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Call the service every 5 minutes
  devsecops.eks_platform.synthetics_canary:
    name: eksplat-us-east-1
    script: "{{ lookup('ansible.builtin.template', 'canary.js.j2') }}"
    execution_role_arn: arn:aws:iam::123456789012:role/eksplat-us-east-1-canary
    artifact_s3_location: s3://eksplat-us-east-1-123456789012-canary/runs
    environment: {URL: "https://app.example.com/", MARKER: "ok"}
"""

RETURN = r"""
canary:
  description: The canary after the run (GetCanary, snake_cased; empty when absent).
  returned: always
  type: dict
changes:
  description: What the run changed (or would change in check mode).
  returned: always
  type: list
  elements: str
  sample: [created, started]
"""

import hashlib
import io
import json
import time
import zipfile

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

TRANSIENT = ["InternalServerException", "InternalFailure", "ServiceUnavailable", "ConflictException", "TooManyRequestsException"]
SETTLING = ("CREATING", "UPDATING", "STARTING", "STOPPING", "DELETING")
SHA_TAG = "devsecops:script-sha256"
ERRORS = (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) if "botocore" in globals() else ()


def script_zip(script, handler, runtime):
    """The script zipped where the runtime loads it, with a fixed timestamp (the same script, the same bytes)."""
    base = handler.rsplit(".", 1)[0]
    path = ("python/%s.py" % base) if runtime.startswith("syn-python") else ("nodejs/node_modules/%s.js" % base)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        info = zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0))
        info.external_attr = 0o644 << 16
        zf.writestr(info, script)
    return buf.getvalue()


def script_sha(script, handler, runtime, environment):
    """Of what GetCanary does not answer: the code, and the runs' environment variables."""
    return hashlib.sha256(("%s\n%s\n%s\n%s" % (runtime, handler, json.dumps(environment, sort_keys=True), script)).encode()).hexdigest()


class Canary(object):
    def __init__(self, module):
        self.module, self.p = module, module.params
        self.client = module.client("synthetics", retry_decorator=AWSRetry.jittered_backoff(catch_extra_error_codes=TRANSIENT))
        self.changes = []

    def fail(self, e, msg):
        self.module.fail_json_aws(e, msg="%s (canary %s)" % (msg, self.p["name"]))

    def get(self):
        try:
            return self.client.get_canary(Name=self.p["name"], aws_retry=True)["Canary"]
        except is_boto3_error_code("ResourceNotFoundException"):
            return None
        except ERRORS as e:  # pylint: disable=duplicate-except
            self.fail(e, "Failed to read")

    def settle(self, gone_ok=False):
        """The canary once it is out of a transitional state (None once deleted, with gone_ok)."""
        deadline = time.time() + self.p["wait_timeout"]
        while True:
            canary = self.get()
            if canary is None:
                if gone_ok:
                    return None
                self.module.fail_json(msg="Canary %s disappeared" % self.p["name"])
            state = canary.get("Status", {}).get("State")
            if state not in SETTLING and not gone_ok:
                return canary
            if time.time() > deadline:
                self.module.fail_json(msg="Canary %s still %s after %ss" % (self.p["name"], state, self.p["wait_timeout"]),
                                      canary=camel_dict_to_snake_dict(canary))
            time.sleep(5)

    def wanted(self):
        p = self.p
        location = p["artifact_s3_location"] or ""
        encryption = {"EncryptionMode": p["artifact_encryption"]}
        if p["artifact_encryption"] == "SSE_KMS":
            encryption["KmsKeyArn"] = p["artifact_kms_key_arn"]
        return {
            "ExecutionRoleArn": p["execution_role_arn"],
            "RuntimeVersion": p["runtime_version"],
            "ArtifactS3Location": location if location.startswith("s3://") else "s3://" + location,
            "Schedule": {"Expression": p["schedule_expression"]},
            "RunConfig": {"TimeoutInSeconds": p["timeout"], "EnvironmentVariables": p["environment"]},
            "SuccessRetentionPeriodInDays": p["success_retention_days"],
            "FailureRetentionPeriodInDays": p["failure_retention_days"],
            "ArtifactConfig": {"S3Encryption": encryption},
        }

    @staticmethod
    def differences(have, want):
        """The top-level settings whose wanted values differ from the canary's (RunConfig and Schedule by key: AWS
        answers more than it was given; environment variables are never answered, so they are set with the code)."""
        out = []
        for key, value in want.items():
            current = have.get(key)
            if key == "ArtifactS3Location":
                current = current if (current or "").startswith("s3://") else "s3://" + (current or "")
                same = current.rstrip("/") == value.rstrip("/")
            elif isinstance(value, dict):
                current = current or {}
                same = all(current.get(k) == v for k, v in value.items() if k != "EnvironmentVariables")
            else:
                same = current == value
            if not same:
                out.append(key)
        return out

    def code(self):
        return {"ZipFile": script_zip(self.p["script"], self.p["handler"], self.p["runtime_version"]), "Handler": self.p["handler"]}

    def arn(self, canary):
        """The canary's ARN (GetCanary has none): partition, region and account from its engine's (Lambda) ARN."""
        engine = (canary.get("EngineArn") or "").split(":")
        if len(engine) > 4:
            return "arn:%s:synthetics:%s:%s:canary:%s" % (engine[1], engine[3], engine[4], self.p["name"])
        caller = self.module.client("sts").get_caller_identity()
        return "arn:%s:synthetics:%s:%s:canary:%s" % (caller["Arn"].split(":")[1], self.module.region, caller["Account"], self.p["name"])

    def present(self):
        p, want = self.p, self.wanted()
        sha = script_sha(p["script"], p["handler"], p["runtime_version"], p["environment"])
        tags = dict(p["tags"], **{SHA_TAG: sha})
        canary = self.get()
        before = camel_dict_to_snake_dict(canary, ignore_list=["Tags"]) if canary else {}
        if canary is None:
            self.changes.append("created")
            if self.module.check_mode:
                self.changes.extend(["started"] if p["running"] else [])
                return before, dict(want, name=p["name"], tags=tags)
            try:
                self.client.create_canary(Name=p["name"], Code=self.code(), Tags=tags, aws_retry=True, **want)
            except ERRORS as e:
                self.fail(e, "Failed to create")
            canary = self.settle()
            self.refuse_error(canary)
        else:
            if canary.get("Status", {}).get("State") in SETTLING and not self.module.check_mode:
                canary = self.settle()
            diff = self.differences(canary, want)
            # a canary in ERROR (its function could not be built, as when its new role had not propagated
            # yet) is rebuilt with its code
            code_changed = canary.get("Tags", {}).get(SHA_TAG) != sha or canary.get("Status", {}).get("State") == "ERROR"
            if diff or code_changed:
                self.changes.append("updated %s" % ", ".join(diff + (["code"] if code_changed else [])))
                if not self.module.check_mode:
                    params = dict((k, want[k]) for k in diff)
                    if code_changed or "RunConfig" in diff:
                        params["RunConfig"] = want["RunConfig"]
                    if code_changed:
                        params["Code"] = self.code()
                    try:
                        self.client.update_canary(Name=p["name"], aws_retry=True, **params)
                    except ERRORS as e:
                        self.fail(e, "Failed to update")
                    canary = self.settle()
                    self.refuse_error(canary)
            self.sync_tags(canary, tags)
        canary = self.run_state(canary)
        return before, camel_dict_to_snake_dict(canary, ignore_list=["Tags"]) if not self.module.check_mode else dict(before, **camel_dict_to_snake_dict(want))

    def refuse_error(self, canary):
        status = canary.get("Status", {})
        if status.get("State") == "ERROR":
            self.module.fail_json(msg="Canary %s is in ERROR: %s (a rerun rebuilds it; a role created moments before may not "
                                      "have propagated yet)" % (self.p["name"], status.get("StateReason", "no reason given")),
                                  changes=self.changes, canary=camel_dict_to_snake_dict(canary, ignore_list=["Tags"]))

    def sync_tags(self, canary, tags):
        have = canary.get("Tags", {}) or {}
        add = dict((k, v) for k, v in tags.items() if have.get(k) != v)
        remove = [k for k in have if k not in tags]
        if (add or remove):
            self.changes.append("tags")
            if not self.module.check_mode:
                try:
                    if add:
                        self.client.tag_resource(ResourceArn=self.arn(canary), Tags=add, aws_retry=True)
                    if remove:
                        self.client.untag_resource(ResourceArn=self.arn(canary), TagKeys=remove, aws_retry=True)
                except ERRORS as e:
                    self.fail(e, "Failed to tag")

    def run_state(self, canary):
        state = canary.get("Status", {}).get("State")
        if self.p["running"] and state != "RUNNING":
            self.changes.append("started")
            if not self.module.check_mode:
                try:
                    self.client.start_canary(Name=self.p["name"], aws_retry=True)
                except ERRORS as e:
                    self.fail(e, "Failed to start")
                return self.settle()
        if not self.p["running"] and state == "RUNNING":
            self.changes.append("stopped")
            if not self.module.check_mode:
                self.stop()
                return self.settle()
        return canary

    def stop(self):
        try:
            self.client.stop_canary(Name=self.p["name"], aws_retry=True)
        except ERRORS as e:
            self.fail(e, "Failed to stop")

    def absent(self):
        canary = self.get()
        if canary is None:
            return {}, {}
        before = camel_dict_to_snake_dict(canary, ignore_list=["Tags"])
        self.changes.append("deleted")
        if not self.module.check_mode:
            if canary.get("Status", {}).get("State") in SETTLING:
                canary = self.settle()
            if canary.get("Status", {}).get("State") == "RUNNING":
                self.stop()
                self.settle()
            try:
                self.client.delete_canary(Name=self.p["name"], DeleteLambda=True, aws_retry=True)
            except ERRORS as e:
                self.fail(e, "Failed to delete")
            self.settle(gone_ok=True)
        return before, {}


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            script=dict(type="str"),
            handler=dict(type="str", default="canary.handler"),
            runtime_version=dict(type="str", default="syn-nodejs-puppeteer-9.1"),
            execution_role_arn=dict(type="str"),
            artifact_s3_location=dict(type="str"),
            artifact_encryption=dict(type="str", default="SSE_S3", choices=["SSE_S3", "SSE_KMS"]),
            artifact_kms_key_arn=dict(type="str", no_log=False),
            schedule_expression=dict(type="str", default="rate(5 minutes)"),
            timeout=dict(type="int", default=60),
            success_retention_days=dict(type="int", default=31),
            failure_retention_days=dict(type="int", default=31),
            environment=dict(type="dict", default={}),
            running=dict(type="bool", default=True),
            tags=dict(type="dict", default={}),
            wait_timeout=dict(type="int", default=300),
        ),
        required_if=[("state", "present", ["script", "execution_role_arn", "artifact_s3_location"]),
                     ("artifact_encryption", "SSE_KMS", ["artifact_kms_key_arn"])],
        supports_check_mode=True,
    )
    canary = Canary(module)
    before, after = canary.present() if module.params["state"] == "present" else canary.absent()
    module.exit_json(changed=bool(canary.changes), changes=canary.changes, canary=after,
                     diff={"before": before, "after": after})


if __name__ == "__main__":
    main()
