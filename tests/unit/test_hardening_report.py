"""The hardening_report callback's host status, from what a run recorded for a host."""
from __future__ import annotations

import datetime

import pytest

from ansible_collections.devsecops.eks_platform.plugins.callback import hardening_report


def _status(checks=(), failures=(), changed=(), check_mode=False):
    cb = hardening_report.CallbackModule()
    cb.playbook = "harden.yml"
    host = {"changed": list(changed), "failures": list(failures), "unreachable": None, "hardened": True,
            "audit": {"selinux_mode": "Enforcing", "checks": list(checks)}}
    return cb._report("h", host, check_mode, datetime.datetime.now(datetime.timezone.utc))


def _check(check_id, status, kind):
    return {"id": check_id, "control": "x", "status": status, "detail": "d", "kind": kind}


AUDIT_FAILED = {"role": "host_audit", "task": "Fail naming every finding nobody accepted", "msg": "m"}
DRIFT = {"role": "baseline", "task": "sshd", "action": "template"}


@pytest.mark.parametrize("kwargs,status", [
    ({}, "compliant"),
    ({"changed": [DRIFT]}, "drift-corrected"),
    # an open finding outranks corrected drift, and host_audit's own failure is explained by it
    ({"checks": [_check("aide-findings", "fail", "finding")], "changed": [DRIFT], "failures": [AUDIT_FAILED]}, "findings"),
    ({"checks": [_check("aide-findings", "pass", "finding")], "failures": []}, "compliant"),
    # a failed control is a failed host; so is any other failed task, findings or not
    ({"checks": [_check("sshd-effective", "fail", "control"), _check("aide-findings", "fail", "finding")],
      "failures": [AUDIT_FAILED]}, "failed"),
    ({"checks": [_check("aide-findings", "fail", "finding")],
      "failures": [{"role": "clamav", "task": "Fetch signatures once", "msg": "m"}]}, "failed"),
    # host_audit failed with no failed check to explain it (the module itself broke): failed
    ({"failures": [AUDIT_FAILED]}, "failed"),
    # check mode: drift is what it reports; a finding alone still shows
    ({"checks": [_check("aide-findings", "fail", "finding")], "changed": [DRIFT], "check_mode": True}, "drift-detected"),
    ({"checks": [_check("clamav-signatures", "fail", "finding")], "check_mode": True}, "findings"),
], ids=["compliant", "drift-corrected", "findings", "finding-passed", "control-failed", "other-task-failed",
        "audit-broke", "check-drift", "check-findings"])
def test_host_status(kwargs, status):
    report = _status(**kwargs)
    assert report["status"] == status
    assert report["findings"] == [c["id"] for c in kwargs.get("checks", ()) if c["kind"] == "finding" and c["status"] == "fail"]
