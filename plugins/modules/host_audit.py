#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: devsecops.eks_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: host_audit
short_description: Check a hardened host's live state against its controls, read its findings
version_added: 1.0.0
description:
  - Reads the live hardened state of a host in one round trip and evaluates each control
    (NIST 800-53 ids, CIS where it fits) as C(pass), C(fail) or C(skip).
  - Collects the findings the host's scheduled jobs logged - the last AIDE check with the
    paths it reported, ClamAV detections - for the per-host reports.
  - Read-only; never changes the host. Runs the same in check mode.
  - Each check runs only when its option is given, so the caller decides what is expected.
author:
  - DevSecOps Platform Team (@devsecops)
options:
  selinux_state:
    description: Expected SELinux mode, both live (C(getenforce)) and in C(/etc/selinux/config).
    type: str
    choices: [enforcing, permissive, disabled]
  audit_keys:
    description: Audit rule keys that C(auditctl -l) must show; also checks that auditd is active.
    type: list
    elements: str
  services:
    description: Units that must be active (services or timers), each with its control id.
    type: list
    elements: dict
    suboptions:
      name:
        description: Unit name, for example C(eks-aide-check.timer).
        type: str
        required: true
      control:
        description: Control id the unit proves.
        type: str
        required: true
      skip_reason:
        description: When set, the check is reported as C(skip) with this reason instead of run.
        type: str
  files:
    description: Files that must exist, optionally with a mode, each with its control id.
    type: list
    elements: dict
    suboptions:
      path:
        description: Absolute path.
        type: path
        required: true
      control:
        description: Control id the file proves.
        type: str
        required: true
      mode:
        description: Expected octal mode, for example C('0600').
        type: str
  sshd:
    description: Expected effective sshd settings (lower-case keys as C(sshd -T) prints them).
    type: dict
  sysctl:
    description: Expected live kernel parameters (dotted names).
    type: dict
  unattended_upgrades:
    description: Check that apt's merged configuration runs unattended-upgrade (C(apt-config dump)).
    type: bool
    default: false
  pam:
    description:
      - PAM stacks to check in C(/etc/pam.d), commented lines ignored.
    type: dict
    suboptions:
      required:
        description: File name to the modules or words it must hold, for example C(common-auth) to C([pam_faillock.so]).
        type: dict
      forbidden:
        description: File name to the words it must not hold, for example C(common-auth) to C([nullok]).
        type: dict
  nft_table:
    description: nftables table (family and name, for example C(inet eks_platform)) whose input
      chain must be loaded with policy drop.
    type: str
  aide_check_log:
    description: Log the scheduled AIDE check appends to; its last run is reported.
    type: path
  clamav_scan_log:
    description: Log the scheduled ClamAV scan appends to; its detections are reported.
    type: path
  max_findings:
    description: At most this many AIDE paths and ClamAV detections are returned.
    type: int
    default: 50
notes:
  - Supports check mode (it is read-only).
"""

EXAMPLES = r"""
- name: Check the hardened state
  devsecops.eks_platform.host_audit:
    selinux_state: enforcing
    audit_keys: [identity, scope, sshd_config]
    services:
      - {name: auditd.service, control: AU-12}
      - {name: eks-aide-check.timer, control: SI-7}
    files:
      - {path: /var/lib/aide/aide.db.gz, control: SI-7}
    sshd: {permitrootlogin: "no", passwordauthentication: "no"}
    sysctl: {net.ipv4.ip_forward: "0"}
    nft_table: inet eks_platform
    aide_check_log: /var/log/aide/aide-check.log
    clamav_scan_log: /var/log/clamav/scan.log
  register: host_state

- name: Fail on any failed control
  ansible.builtin.assert:
    that: host_state.failed_checks | length == 0
"""

RETURN = r"""
checks:
  description: One entry per evaluated control.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Check id, for example C(selinux-mode) or C(service:auditd.service).
      type: str
    control:
      description: Control id(s), for example C(AC-3, AC-6 / CIS 1.6.1.4).
      type: str
    status:
      description: C(pass), C(fail) or C(skip).
      type: str
    detail:
      description: What was found.
      type: str
failed_checks:
  description: Ids of the checks that failed.
  returned: always
  type: list
  elements: str
selinux_mode:
  description: Live SELinux mode (C(getenforce)), or C(unavailable).
  returned: always
  type: str
  sample: Enforcing
aide:
  description: The last scheduled AIDE check.
  returned: when aide_check_log is given
  type: dict
  contains:
    last_run:
      description: Time of the last check, or null when none ran yet.
      type: str
    result:
      description: C(clean), C(changes), C(error) or C(never).
      type: str
    added:
      description: Entries added since the baseline.
      type: int
    removed:
      description: Entries removed since the baseline.
      type: int
    changed:
      description: Entries changed since the baseline.
      type: int
    paths:
      description: Paths the last check reported.
      type: list
      elements: str
clamav:
  description: ClamAV scan results.
  returned: when clamav_scan_log is given
  type: dict
  contains:
    last_scan:
      description: Time of the last scan, or null.
      type: str
    last_result:
      description: C(ok), C(error) (the scan could not run) or C(never).
      type: str
    detections:
      description: Every detection logged (newest last), as C(time), C(path), C(signature), C(action).
      type: list
      elements: dict
"""

import os
import re
import stat

from ansible.module_utils.basic import AnsibleModule

AIDE_SUMMARY = re.compile(r"^(\S+) aide-check result=(\w+) rc=(\d+) added=(\d+) removed=(\d+) changed=(\d+)")
AIDE_PATH = re.compile(r"^\S+ aide-detail [a-z][^a-z:][^:]*: (/.+?)\s*$")
CLAM_DETECTION = re.compile(r"^(\S+) clamav-detection path=(.*) signature=(\S+) action=(\S+)$")
CLAM_SCAN = re.compile(r"^(\S+) clamav-scan result=(\w+)")
# sshd -T prints some values under their older names.
SSHD_ALIASES = {"prohibit-password": "without-password"}


class Audit:
    def __init__(self, module):
        self.module = module
        self.checks = []

    def add(self, check_id, control, ok, detail, skip=False):
        status = "skip" if skip else ("pass" if ok else "fail")
        self.checks.append({"id": check_id, "control": control, "status": status, "detail": detail})

    def run(self, *args):
        """(rc, stdout) of a command, or (None, reason) when the binary is missing."""
        path = self.module.get_bin_path(args[0])
        if not path:
            return None, "%s not installed" % args[0]
        rc, out, err = self.module.run_command([path] + list(args[1:]))
        return rc, (out or err or "").strip()


def read_lines(path):
    try:
        with open(path, errors="replace") as f:
            return f.read().splitlines()
    except (IOError, OSError):
        return None


def check_selinux(audit, expected):
    rc, out = audit.run("getenforce")
    mode = out if rc == 0 else "unavailable"
    config = None
    for line in read_lines("/etc/selinux/config") or []:
        if line.startswith("SELINUX="):
            config = line.split("=", 1)[1].strip().lower()
    audit.add("selinux-mode", "AC-3, AC-6 / CIS 1.6.1.4", mode.lower() == expected and config == expected,
              "live %s, /etc/selinux/config %s, expected %s" % (mode, config, expected))
    return mode


AUDIT_RULES_FILE = "/etc/audit/audit.rules"


def rules_not_loaded(rules_file_lines, loaded_lines):
    """What the rules file (augenrules' merge of rules.d) asks for and the kernel does not hold: each
    watch (-w path) and each path rule (-F path=...) by its path, and any shortfall in the number of
    rules (auditctl rewrites syscall rules - order, -k as -F key= - so those are counted)."""
    wanted = [line.split("#", 1)[0].strip() for line in rules_file_lines]
    wanted = [line for line in wanted if line.startswith(("-w ", "-a "))]
    loaded = [line.strip() for line in loaded_lines if line.strip().startswith(("-w ", "-a "))]
    held = set(re.findall(r"(?:^-w |-F path=)(\S+)", "\n".join(loaded), re.M))
    missing = []
    for line in wanted:
        match = re.search(r"(?:^-w |-F path=)(\S+)", line)
        if match and match.group(1).rstrip("/") not in {h.rstrip("/") for h in held}:
            missing.append(match.group(1))
    if len(loaded) < len(wanted):
        missing.append("%d of %d rules loaded" % (len(loaded), len(wanted)))
    return missing


def check_audit_rules(audit, keys):
    check_services(audit, [{"name": "auditd.service", "control": "AU-12 / CIS 4.1.1"}])
    rc, out = audit.run("auditctl", "-l")
    loaded = set(re.findall(r"(?:-k|key=)\s*(\S+)", out or "")) if rc == 0 else set()
    missing = [k for k in keys if k not in loaded]
    audit.add("audit-rules", "AU-2, AU-12 / CIS 4.1.3", rc == 0 and not missing,
              "missing keys: %s" % ", ".join(missing) if missing else "%d keys loaded" % len(loaded))
    # Every rule of the file is in the kernel: a rule auditctl rejected (a path that is gone) stops the
    # load at that line, and a key check alone would not see the rules after it.
    wanted = read_lines(AUDIT_RULES_FILE)
    if wanted is None:
        audit.add("audit-rules-loaded", "AU-2, AU-12 / CIS 6.2.3", False, "%s missing" % AUDIT_RULES_FILE)
        return
    gaps = rules_not_loaded(wanted, (out or "").splitlines() if rc == 0 else [])
    audit.add("audit-rules-loaded", "AU-2, AU-12 / CIS 6.2.3", rc == 0 and not gaps,
              "not loaded: %s" % ", ".join(gaps[:10]) if gaps else "every rule of %s loaded" % AUDIT_RULES_FILE)


def check_services(audit, services):
    for svc in services:
        if svc.get("skip_reason"):
            audit.add("service:%s" % svc["name"], svc["control"], False, svc["skip_reason"], skip=True)
            continue
        rc, out = audit.run("systemctl", "is-active", svc["name"])
        audit.add("service:%s" % svc["name"], svc["control"], rc == 0, "%s %s" % (svc["name"], out))


def check_files(audit, files):
    for spec in files:
        try:
            mode = "%04o" % stat.S_IMODE(os.stat(spec["path"]).st_mode)
        except OSError:
            audit.add("file:%s" % spec["path"], spec["control"], False, "%s missing" % spec["path"])
            continue
        ok = spec.get("mode") in (None, mode)
        audit.add("file:%s" % spec["path"], spec["control"], ok, "%s mode %s%s" % (
            spec["path"], mode, "" if ok else " (expected %s)" % spec["mode"]))


def check_sshd(audit, expected):
    rc, out = audit.run("sshd", "-T")
    if rc != 0:
        audit.add("sshd-effective", "AC-17, IA-2 / CIS 5.2", False, "sshd -T failed: %s" % out[:200])
        return
    effective = {}
    for line in out.splitlines():
        key, value = (line.split(" ", 1) + [""])[:2]
        effective.setdefault(key.lower(), value.strip())
    wrong = ["%s=%s (expected %s)" % (k, effective.get(k.lower()), v)
             for k, v in sorted(expected.items())
             if SSHD_ALIASES.get(effective.get(k.lower()), effective.get(k.lower())) != SSHD_ALIASES.get(str(v), str(v))]
    audit.add("sshd-effective", "AC-17, IA-2 / CIS 5.2", not wrong,
              "; ".join(wrong) if wrong else "%d settings as expected" % len(expected))


def check_sysctl(audit, expected):
    wrong = []
    for name, value in sorted(expected.items()):
        lines = read_lines("/proc/sys/" + name.replace(".", "/"))
        live = lines[0].strip() if lines else None
        if live != str(value):
            wrong.append("%s=%s (expected %s)" % (name, live, value))
    audit.add("sysctl-live", "SC-7 / CIS 3.2, 3.3", not wrong,
              "; ".join(wrong) if wrong else "%d parameters as expected" % len(expected))


def pam_problems(required, forbidden, read=read_lines):
    """What the PAM stacks lack or hold against the expectation, one line each."""
    problems = []
    for kind, spec in (("required", required or {}), ("forbidden", forbidden or {})):
        for name, words in sorted(spec.items()):
            lines = read("/etc/pam.d/" + name)
            if lines is None:
                problems.append("/etc/pam.d/%s missing" % name)
                continue
            text = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
            for word in words:
                held = re.search(r"(?<!\S)%s(?!\S)" % re.escape(word), text) is not None
                if held != (kind == "required"):
                    problems.append("%s %s %s" % (name, "lacks" if kind == "required" else "holds", word))
    return problems


def check_pam(audit, spec):
    problems = pam_problems(spec.get("required"), spec.get("forbidden"))
    audit.add("pam", "AC-7, IA-5 / CIS 5.3.2, 5.3.3", not problems,
              "; ".join(problems) if problems else "faillock, pwhistory and the rest as expected")


def check_nft(audit, table):
    rc, out = audit.run("nft", "list", "table", *table.split())
    ok = rc == 0 and re.search(r"hook input priority \S+; policy drop;", out or "") is not None
    enabled_rc, enabled = audit.run("systemctl", "is-enabled", "nftables.service")
    if not ok:
        detail = "table %s missing or input chain not default-drop" % table
    elif enabled_rc != 0:
        detail = "table %s loaded, but nftables.service is %s: the rules are gone after a reboot" % (table, enabled or "unknown")
    else:
        detail = "table %s loaded, input policy drop, loaded at boot" % table
    audit.add("firewall", "SC-7 / CIS 3.5", ok and enabled_rc == 0, detail)


def check_unattended_upgrades(audit):
    # What apt itself reads (every apt.conf.d file merged), not the timer apt enables on its own.
    rc, out = audit.run("apt-config", "dump", "APT::Periodic::Unattended-Upgrade")
    ok = rc == 0 and re.search(r'^APT::Periodic::Unattended-Upgrade "1";$', out or "", re.M) is not None
    audit.add("unattended-upgrades", "SI-2 / CIS 1.2", ok,
              "apt runs unattended-upgrade daily" if ok else "APT::Periodic::Unattended-Upgrade is not 1: %s" % (out or "unset"))


def read_aide(path, limit):
    lines = read_lines(path)
    info = {"last_run": None, "result": "never", "added": 0, "removed": 0, "changed": 0, "paths": []}
    if not lines:
        return info
    for i in range(len(lines) - 1, -1, -1):
        m = AIDE_SUMMARY.match(lines[i])
        if m:
            ts = m.group(1)
            info.update(last_run=ts, result=m.group(2), added=int(m.group(4)), removed=int(m.group(5)),
                        changed=int(m.group(6)))
            paths = []
            for line in lines[i + 1:]:
                if not line.startswith(ts + " "):
                    break
                pm = AIDE_PATH.match(line)
                if pm and pm.group(1) not in paths:
                    paths.append(pm.group(1))
            info["paths"] = paths[:limit]
            break
    return info


def read_clamav(path, limit):
    info = {"last_scan": None, "last_result": "never", "detections": []}
    for line in read_lines(path) or []:
        m = CLAM_DETECTION.match(line)
        if m:
            info["detections"].append({"time": m.group(1), "path": m.group(2), "signature": m.group(3),
                                       "action": m.group(4)})
            continue
        m = CLAM_SCAN.match(line)
        if m:
            info["last_scan"], info["last_result"] = m.group(1), m.group(2)
    info["detections"] = info["detections"][-limit:]
    return info


def main():
    module = AnsibleModule(
        argument_spec=dict(
            selinux_state=dict(type="str", choices=["enforcing", "permissive", "disabled"]),
            audit_keys=dict(type="list", elements="str", no_log=False),
            services=dict(type="list", elements="dict", options=dict(
                name=dict(type="str", required=True), control=dict(type="str", required=True),
                skip_reason=dict(type="str"))),
            files=dict(type="list", elements="dict", options=dict(
                path=dict(type="path", required=True), control=dict(type="str", required=True),
                mode=dict(type="str"))),
            sshd=dict(type="dict"),
            sysctl=dict(type="dict"),
            nft_table=dict(type="str"),
            unattended_upgrades=dict(type="bool", default=False),
            pam=dict(type="dict", options=dict(required=dict(type="dict"), forbidden=dict(type="dict"))),
            aide_check_log=dict(type="path"),
            clamav_scan_log=dict(type="path"),
            max_findings=dict(type="int", default=50),
        ),
        supports_check_mode=True,
    )
    p = module.params
    audit = Audit(module)
    result = {"changed": False, "selinux_mode": "unavailable"}
    if p["selinux_state"]:
        result["selinux_mode"] = check_selinux(audit, p["selinux_state"])
    else:
        rc, out = audit.run("getenforce")
        result["selinux_mode"] = out if rc == 0 else "unavailable"
    if p["audit_keys"] is not None:
        check_audit_rules(audit, p["audit_keys"])
    check_services(audit, p["services"] or [])
    check_files(audit, p["files"] or [])
    if p["sshd"]:
        check_sshd(audit, p["sshd"])
    if p["sysctl"]:
        check_sysctl(audit, p["sysctl"])
    if p["nft_table"]:
        check_nft(audit, p["nft_table"])
    if p["pam"]:
        check_pam(audit, p["pam"])
    if p["unattended_upgrades"]:
        check_unattended_upgrades(audit)
    if p["aide_check_log"]:
        result["aide"] = read_aide(p["aide_check_log"], p["max_findings"])
    if p["clamav_scan_log"]:
        result["clamav"] = read_clamav(p["clamav_scan_log"], p["max_findings"])
    result["checks"] = audit.checks
    result["failed_checks"] = [c["id"] for c in audit.checks if c["status"] == "fail"]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
