# -*- coding: utf-8 -*-
# Copyright: devsecops.eks_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: hardening_report
type: aggregate
author:
  - DevSecOps Platform Team (@devsecops)
short_description: Per-host hardening reports (JSON and Markdown) for every run
version_added: 1.0.0
description:
  - For every host a hardening role or M(devsecops.eks_platform.host_audit) ran on, writes
    C(<host>.json) and C(<host>.md) to O(report_dir) when the playbook ends, and prints a short
    summary.
  - A report shows the SELinux mode, the last AIDE check and the paths it reported, ClamAV
    detections, the drift this run corrected (every task that changed, by role) - or, under
    C(--check), the drift it would correct - and the pass/fail/skip of each control check.
  - Each report has a status - C(compliant), C(drift-corrected), C(drift-detected) (check mode),
    C(findings) (hardened, but an AIDE change, a ClamAV detection, a failed scan or stale signatures
    nobody accepted), C(failed) or C(unreachable).
  - Unreachable and failed hosts get a report too, naming the error.
requirements:
  - Enable it, as every aggregate callback, with C(callbacks_enabled = devsecops.eks_platform.hardening_report)
    in the C([defaults]) section of C(ansible.cfg), or C(ANSIBLE_CALLBACKS_ENABLED=devsecops.eks_platform.hardening_report)
    in the environment. The execution environment built from this collection's C(execution-environment.yml)
    enables it in its C(/etc/ansible/ansible.cfg), so AWX jobs write the reports with no setting.
options:
  report_dir:
    description:
      - Directory the reports are written to (created if missing).
      - A relative path is relative to the directory C(ansible-playbook) runs in (in C(ansible.cfg), to that
        file's directory), never to the installed collection.
    type: path
    default: reports/hosts
    env:
      - name: EKS_PLATFORM_REPORT_DIR
    ini:
      - section: eks_platform_report
        key: report_dir
"""

import datetime
import json
import os

from ansible import context
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.callback import CallbackBase

HARDENING_ROLES = ("baseline", "selinux", "auditd", "aide", "clamav", "fluentd", "host_audit")


def _task_name(task):
    """The task's own name, without the "role : " prefix ansible adds."""
    return task.get_name().split(" : ", 1)[-1]


def _role(task):
    role = getattr(task, "_role", None)
    return role.get_name().split(".")[-1] if role else None


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "devsecops.eks_platform.hardening_report"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super(CallbackModule, self).__init__()
        self.hosts = {}
        self.playbook = None
        self.started = datetime.datetime.now(datetime.timezone.utc)

    def _host(self, name):
        return self.hosts.setdefault(name, {"changed": [], "failures": [], "unreachable": None,
                                            "audit": None, "hardened": False})

    def v2_playbook_on_start(self, playbook):
        self.playbook = os.path.basename(to_text(playbook._file_name))

    def v2_runner_on_ok(self, result):
        task = result._task
        role = _role(task)
        if role not in HARDENING_ROLES:
            return
        host = self._host(result._host.get_name())
        host["hardened"] = True
        res = result._result
        if task.action.split(".")[-1] == "host_audit":
            host["audit"] = {k: res.get(k) for k in ("selinux_mode", "checks", "failed_checks", "aide", "clamav")}
        elif res.get("changed"):
            host["changed"].append({"role": role, "task": _task_name(task), "action": task.action})

    def v2_runner_on_failed(self, result, ignore_errors=False):
        if ignore_errors:
            return
        host = self._host(result._host.get_name())
        host["failures"].append({"role": _role(result._task), "task": _task_name(result._task),
                                 "msg": to_text(result._result.get("msg", ""))[:2000]})

    def v2_runner_on_unreachable(self, result):
        self._host(result._host.get_name())["unreachable"] = to_text(result._result.get("msg", "unreachable"))

    def v2_playbook_on_stats(self, stats):
        reports = {n: h for n, h in self.hosts.items() if h["hardened"] or h["unreachable"]}
        if not reports:
            return
        out_dir = self.get_option("report_dir")
        os.makedirs(out_dir, exist_ok=True)
        check_mode = bool(context.CLIARGS.get("check"))
        finished = datetime.datetime.now(datetime.timezone.utc)
        self._display.banner("HARDENING REPORTS (%s)" % out_dir)
        for name in sorted(reports):
            report = self._report(name, reports[name], check_mode, finished)
            with open(os.path.join(out_dir, "%s.json" % name), "w") as f:
                json.dump(report, f, indent=2, sort_keys=True)
                f.write("\n")
            with open(os.path.join(out_dir, "%s.md" % name), "w") as f:
                f.write(self._markdown(report))
            self._display.display(self._summary_line(report))

    def _report(self, name, host, check_mode, finished):
        audit = host["audit"] or {}
        checks = audit.get("checks") or []
        failed_checks = [c for c in checks if c["status"] == "fail" and c.get("kind", "control") == "control"]
        findings = [c for c in checks if c["status"] == "fail" and c.get("kind") == "finding"]
        # host_audit's own failure is explained by the checks it names; any other failed task is not.
        failures = [f for f in host["failures"] if not (f["role"] == "host_audit" and (failed_checks or findings))]
        if host["unreachable"]:
            status = "unreachable"
        elif failures or (failed_checks and not check_mode):
            status = "failed"
        elif check_mode and (host["changed"] or failed_checks):
            # A drift report: what would change, and the controls that fail until it does.
            status = "drift-detected"
        elif findings:
            # Hardened as configured, but its scans or checks found something nobody accepted.
            status = "findings"
        elif host["changed"]:
            status = "drift-corrected"
        else:
            status = "compliant"
        return {
            "host": name,
            "status": status,
            "run": {"playbook": self.playbook, "mode": "check" if check_mode else "apply",
                    "started": self.started.isoformat(), "finished": finished.isoformat()},
            "selinux_mode": audit.get("selinux_mode"),
            "aide": audit.get("aide"),
            "clamav": audit.get("clamav"),
            "drift": host["changed"],
            "findings": [c["id"] for c in findings],
            "controls": {"passed": sum(c["status"] == "pass" for c in checks), "failed": len(failed_checks),
                         "skipped": sum(c["status"] == "skip" for c in checks), "checks": checks},
            "failures": host["failures"],
            "unreachable": host["unreachable"],
        }

    @staticmethod
    def _summary_line(r):
        c = r["controls"]
        line = "%s: %s - controls %d pass / %d fail / %d skip, %d drift %s, SELinux %s" % (
            r["host"], r["status"].upper(), c["passed"], c["failed"], c["skipped"], len(r["drift"]),
            "detected" if r["run"]["mode"] == "check" else "corrected", r["selinux_mode"] or "n/a")
        if r["findings"]:
            line += " - open findings: %s" % ", ".join(r["findings"])
        if r["unreachable"]:
            line += " - UNREACHABLE: %s" % r["unreachable"]
        return line

    @staticmethod
    def _markdown(r):
        def cell(text):
            return to_text(text).replace("|", "\\|").replace("\n", " ")

        lines = ["# Hardening report: %s" % r["host"], "",
                 "- Status: **%s**" % r["status"],
                 "- Run: `%s`, mode %s, %s to %s" % (
                     r["run"]["playbook"], r["run"]["mode"], r["run"]["started"], r["run"]["finished"]),
                 "- SELinux: %s" % (r["selinux_mode"] or "not checked")]
        if r["unreachable"]:
            lines.append("- Unreachable: %s" % cell(r["unreachable"]))
        if r["findings"]:
            lines.append("- Open findings: **%s** (see the controls below; accept with host_audit_accepted_findings)"
                         % ", ".join(r["findings"]))
        aide = r["aide"]
        if aide:
            lines.append("- AIDE: last check %s, result **%s** (added %d, removed %d, changed %d)" % (
                aide["last_run"] or "never", aide["result"], aide["added"], aide["removed"], aide["changed"]))
            lines += ["  - `%s`" % p for p in aide["paths"]]
        clam = r["clamav"]
        if clam:
            lines.append("- ClamAV: last scan %s (%s), **%d** detection(s)" % (
                clam["last_scan"] or "never", clam.get("last_result", "n/a"), len(clam["detections"])))
            lines += ["  - %s `%s` %s (%s)" % (d["time"], d["path"], d["signature"], d["action"])
                      for d in clam["detections"]]
        title = "Drift detected (check mode: would change)" if r["run"]["mode"] == "check" else "Drift corrected"
        lines += ["", "## %s: %d task(s)" % (title, len(r["drift"])), ""]
        if r["drift"]:
            lines += ["| role | task |", "|---|---|"] + ["| %s | %s |" % (d["role"], cell(d["task"])) for d in r["drift"]]
        else:
            lines.append("None.")
        c = r["controls"]
        lines += ["", "## Controls: %d pass, %d fail, %d skip" % (c["passed"], c["failed"], c["skipped"]), ""]
        if c["checks"]:
            lines += ["| check | control | status | detail |", "|---|---|---|---|"]
            lines += ["| %s | %s | %s | %s |" % (cell(k["id"]), cell(k["control"]), k["status"].upper(), cell(k["detail"]))
                      for k in c["checks"]]
        else:
            lines.append("Not checked in this run.")
        if r["failures"]:
            lines += ["", "## Failed tasks", ""] + ["- %s / %s: %s" % (f["role"], cell(f["task"]), cell(f["msg"]))
                                                    for f in r["failures"]]
        return "\n".join(lines) + "\n"
