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
  - Findings are checks too (RV(checks[].kind=finding)) - AIDE changes or errors, changed package files,
    ClamAV detections or scan errors, stale signatures, pending security updates - and fail unless
    O(accepted_findings) accepts them (a pending security update unless younger than O(security_updates_max_age_days));
    they are listed in RV(findings), apart from the failed controls in RV(failed_checks).
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
      skip_in_container:
        description: When set and the host is a container, the check is reported as C(skip) with this reason (a unit
          that drives a kernel feature a container may not use).
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
  debsums_log:
    description:
      - Log the scheduled package file check (debsums) appends to; its last run is reported, and
        changed or missing package files are a finding (C(package-files)) unless accepted.
    type: path
  mounts:
    description: Mount points that must be mounted with options (C(/proc/mounts)), one check each.
    type: list
    elements: dict
    suboptions:
      path:
        description: Mount point, for example C(/dev/shm).
        type: path
        required: true
      options:
        description: Options it must have, for example C([nodev, nosuid, noexec]); C(hidepid=2) also matches the
          C(hidepid=invisible) the kernel shows.
        type: list
        elements: str
        required: true
      fstype:
        description: Filesystem type it must have, for example C(tmpfs).
        type: str
      pending_unit:
        description: A mount unit enabled for the next boot; while it is enabled and the mount is not there yet,
          the check is skipped, saying so (a reboot is pending), rather than failed.
        type: str
      pending_fstab:
        description: While C(/etc/fstab) already holds the options and the live mount does not, the check is skipped,
          saying so (a reboot is pending), rather than failed.
        type: bool
        default: false
  kernel_cmdline:
    description:
      - Words the running kernel's command line (C(/proc/cmdline)) must hold, for example C([audit=1]). Skipped in a
        container (its kernel is the host's).
    type: list
    elements: str
  kernel_cmdline_pending_file:
    description:
      - A boot loader drop-in that passes O(kernel_cmdline) from the next boot; while it holds every missing word, the
        check is skipped, saying so (a reboot is pending), rather than failed.
    type: path
  security_updates_file:
    description:
      - State file the baseline role keeps of the pending security updates, each with when the host first saw it
        offered (C(<first seen> <package> <version>) lines). When given, the updates apt would install now from an
        origin labelled C(*-Security) (C(apt-get --simulate dist-upgrade)) are a finding (C(security-updates)), each
        with its age from this file.
    type: path
  security_updates_max_age_days:
    description: Pending security updates up to this many days old are reported but not a finding; V(0) makes every
      pending one a finding.
    type: int
    default: 0
  time_sync:
    description: Check that a time-sync client is active (C(timedatectl show), property C(NTP)).
    type: bool
    default: false
  max_findings:
    description: At most this many AIDE paths and ClamAV detections are returned.
    type: int
    default: 50
  accepted_findings:
    description:
      - Findings reviewed and accepted; they are still reported, but no longer fail.
      - An AIDE change or a changed package file is accepted when its path matches an entry without
        O(accepted_findings[].signature); a ClamAV detection when its path and, if given, its signature match.
      - To accept every AIDE change at once, rebuild the database instead (the aide role's C(aide_accept_changes)).
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Path, or shell-style pattern (C(fnmatch)), for example C(/srv/uploads/*).
        type: str
        required: true
      signature:
        description: ClamAV signature name or pattern; the entry then applies to ClamAV detections only.
        type: str
      reason:
        description: Why it is accepted (who reviewed it, the ticket); required so the acceptance is explained.
        type: str
        required: true
  clamav_database_dir:
    description: ClamAV's database directory, for O(signatures_max_age_days).
    type: path
    default: /var/lib/clamav
  freshclam_log:
    description: freshclam's log (C(UpdateLogFile), with C(LogTime yes)), read when only custom databases are held.
    type: path
    default: /var/log/clamav/freshclam.log
  signatures_max_age_days:
    description:
      - The signatures must be at most this many days old; 0 skips the check.
      - With official databases (C(.cvd)/C(.cld)) their build time counts, so a mirror that stopped
        updating is seen; with custom databases only, the last freshclam run that ended without an error.
    type: int
    default: 0
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
    signatures_max_age_days: 3
    accepted_findings:
      - {path: /srv/uploads/eicar.com, signature: Eicar-Signature, reason: "antivirus test file, CHG-1042"}
  register: host_state

- name: Fail on any failed control or unaccepted finding
  ansible.builtin.assert:
    that: host_state.failed_checks | length + host_state.findings | length == 0
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
    kind:
      description: C(control) (the host's configured state) or C(finding) (what its scans and checks found).
      type: str
    detail:
      description: What was found.
      type: str
failed_checks:
  description: Ids of the controls that failed (findings are in RV(findings)).
  returned: always
  type: list
  elements: str
findings:
  description: Ids of the finding checks that failed (AIDE, ClamAV), that is findings nobody accepted.
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
      description: C(clean), C(changes), C(error), C(accepted) (the database rebuilt on purpose), C(packages) (every
        change was a file as its package shipped it, and the database was updated) or C(never).
      type: str
    package_paths:
      description: Paths the last check reported that are exactly as their package shipped them (not findings).
      type: list
      elements: str
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
debsums:
  description: The last scheduled package file check.
  returned: when debsums_log is given
  type: dict
  contains:
    last_run:
      description: Time of the last check, or null when none ran yet.
      type: str
    result:
      description: C(clean), C(changes), C(error) or C(never).
      type: str
    paths:
      description: Package files the last check found changed or missing.
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
    unscanned:
      description: Path patterns the last scan left out because SELinux keeps them from the scanner (named in the
        C(clamav-scan) check's detail).
      type: list
      elements: str
security_updates:
  description: The pending security updates (with O(security_updates_file)), oldest first.
  returned: when O(security_updates_file) is given and apt-get is installed
  type: list
  elements: dict
  contains:
    package:
      description: Package name.
      type: str
    version:
      description: The version the security archive offers.
      type: str
    first_seen:
      description: When the host first saw it offered (ISO 8601), from the state file; now when not in it.
      type: str
    age_days:
      description: Whole days since first seen.
      type: int
"""

import fnmatch
import glob
import os
import re
import stat
import time

from ansible.module_utils.basic import AnsibleModule

AIDE_SUMMARY = re.compile(r"^(\S+) aide-check result=(\w+) rc=(\d+) added=(\d+) removed=(\d+) changed=(\d+)")
AIDE_PATH = re.compile(r"^aide-detail [a-z][^a-z:][^:]*: (/.+?)\s*$")
DEBSUMS_SUMMARY = re.compile(r"^(\S+) debsums-check result=(\w+) rc=(\d+) changed=(\d+)")
CLAM_DETECTION = re.compile(r"^(\S+) clamav-detection path=(.*) signature=(\S+) action=(\S+)$")
CLAM_SCAN = re.compile(r"^(\S+) clamav-scan result=(\w+)(?:.* unscanned=(\S+))?")
# sshd -T prints some values under their older names.
SSHD_ALIASES = {"prohibit-password": "without-password"}


class Audit:
    def __init__(self, module):
        self.module = module
        self.checks = []

    def add(self, check_id, control, ok, detail, skip=False, kind="control"):
        status = "skip" if skip else ("pass" if ok else "fail")
        self.checks.append({"id": check_id, "control": control, "status": status, "detail": detail, "kind": kind})

    def container(self):
        """The container runtime's name when this host is a container (its clock and mounts are the
        runtime's), else None."""
        if not hasattr(self, "_container"):
            rc, out = self.run("systemd-detect-virt", "--container")
            self._container = out if rc == 0 and out and out != "none" else None
        return self._container

    @staticmethod
    def fstab():
        return [line for line in read_lines("/etc/fstab") or [] if not line.lstrip().startswith("#")]

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
    def skip(svc):
        if svc.get("skip_reason"):
            return svc["skip_reason"]
        if svc.get("skip_in_container") and audit.container():
            return "a %s container: %s" % (audit.container(), svc["skip_in_container"])
        return None

    reasons = dict((svc["name"], skip(svc)) for svc in services)
    names = [svc["name"] for svc in services if not reasons[svc["name"]]]
    states = {}
    if names:
        # One systemctl for all of them (each command costs on a slow host): one state per unit, in order.
        rc, out = audit.run("systemctl", "is-active", "--", *names)
        lines = out.splitlines() if rc is not None else []
        states = dict(zip(names, [line.strip() for line in lines] if len(lines) == len(names) else [out] * len(names)))
    for svc in services:
        reason = reasons[svc["name"]]
        if reason:
            audit.add("service:%s" % svc["name"], svc["control"], False, reason, skip=True)
        else:
            state = states[svc["name"]]
            audit.add("service:%s" % svc["name"], svc["control"], state == "active", "%s %s" % (svc["name"], state))


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


def last_run(lines, summary):
    """The last summary line a scheduled check logged (its match) and the lines of that run after it
    (each starts with the same time stamp), or (None, [])."""
    for i in range(len(lines) - 1, -1, -1):
        m = summary.match(lines[i])
        if m:
            body = []
            for line in lines[i + 1:]:
                if not line.startswith(m.group(1) + " "):
                    break
                body.append(line[len(m.group(1)) + 1:])
            return m, body
    return None, []


def read_aide(path):
    info = {"last_run": None, "result": "never", "added": 0, "removed": 0, "changed": 0, "paths": [], "package_paths": []}
    m, body = last_run(read_lines(path) or [], AIDE_SUMMARY)
    if m:
        info.update(last_run=m.group(1), result=m.group(2), added=int(m.group(4)), removed=int(m.group(5)),
                    changed=int(m.group(6)))
        for line in body:
            if line.startswith("aide-package "):
                info["package_paths"].append(line[len("aide-package "):])
                continue
            pm = AIDE_PATH.match(line)
            if pm and pm.group(1) not in info["paths"]:
                info["paths"].append(pm.group(1))
    return info


def read_debsums(path):
    info = {"last_run": None, "result": "never", "paths": []}
    m, body = last_run(read_lines(path) or [], DEBSUMS_SUMMARY)
    if m:
        info.update(last_run=m.group(1), result=m.group(2))
        info["paths"] = [line[len("debsums-changed "):] for line in body if line.startswith("debsums-changed ")]
    return info


def check_package_files(audit, info, entries):
    control = "SI-7 / CIS 1.3"
    if info["result"] == "never":
        audit.add("package-files", control, True, "no scheduled package file check has run yet", skip=True, kind="finding")
        return
    open_paths = [path for path in info["paths"] if not accepted(path, None, entries)]
    if info["result"] == "error":
        detail = "last check %s could not read every package (see the log)" % info["last_run"]
    elif open_paths:
        detail = "last check %s: %d package file(s) changed or missing, not accepted: %s" % (
            info["last_run"], len(open_paths), ", ".join(open_paths[:10]))
    else:
        detail = "last check %s: %s" % (info["last_run"], "every package file matches" if not info["paths"]
                                        else "every changed package file accepted")
    audit.add("package-files", control, info["result"] != "error" and not open_paths, detail, kind="finding")


MOUNT_OPTION_ALIASES = {"hidepid=2": "hidepid=invisible", "hidepid=1": "hidepid=noaccess", "hidepid=4": "hidepid=ptraceable"}


def read_mounts(lines):
    """{mount point: (fstype, options)} from /proc/mounts lines; the last (topmost) mount wins."""
    mounts = {}
    for line in lines:
        fields = line.split()
        if len(fields) >= 4:
            mounts[fields[1].replace("\\040", " ")] = (fields[2], set(fields[3].split(",")))
    return mounts


def check_mounts(audit, specs, lines):
    mounts = read_mounts(lines)
    for spec in specs:
        if audit.container():
            audit.add("mount:%s" % spec["path"], "CM-6 / CIS 1.1.2", True, "a %s container: its mounts are the runtime's"
                      % audit.container(), skip=True)
            continue
        fstype, have = mounts.get(spec["path"], (None, set()))
        missing = [o for o in spec["options"] if o not in have and MOUNT_OPTION_ALIASES.get(o) not in have]
        wrong_type = spec.get("fstype") and fstype != spec["fstype"]
        ok = fstype is not None and not missing and not wrong_type
        check_id = "mount:%s" % spec["path"]
        if not ok and spec.get("pending_unit"):
            rc, state = audit.run("systemctl", "is-enabled", spec["pending_unit"])
            if rc == 0:
                audit.add(check_id, "CM-6 / CIS 1.1.2", True, "%s enabled: %s is mounted so at the next boot (a reboot is "
                          "pending)" % (spec["pending_unit"], spec["path"]), skip=True)
                continue
        if not ok and spec.get("pending_fstab"):
            planned = read_mounts(audit.fstab()).get(spec["path"], (None, set()))[1]
            if all(o in planned or MOUNT_OPTION_ALIASES.get(o) in planned for o in spec["options"]):
                audit.add(check_id, "CM-6 / CIS 1.1.2", True, "/etc/fstab mounts %s with %s from the next boot (a reboot is "
                          "pending)" % (spec["path"], ",".join(spec["options"])), skip=True)
                continue
        if fstype is None:
            detail = "%s is not a mount point" % spec["path"]
        elif not ok:
            detail = "%s is %s with %s; expected %s%s" % (spec["path"], fstype, ",".join(sorted(have)), spec.get("fstype") or fstype,
                                                          " with " + ",".join(missing) if missing else "")
        else:
            detail = "%s %s with %s" % (spec["path"], fstype, ",".join(spec["options"]))
        audit.add(check_id, "CM-6 / CIS 1.1.2", ok, detail)


def check_kernel_cmdline(audit, words, pending_file, cmdline=None):
    control = "AU-12, AU-14 / CIS 6.2.1.3, 6.2.1.4"
    if audit.container():
        audit.add("kernel-cmdline", control, True, "a %s container: its kernel is the host's" % audit.container(), skip=True)
        return
    running = (cmdline if cmdline is not None else " ".join(read_lines("/proc/cmdline") or [])).split()
    missing = [w for w in words if w not in running]
    if not missing:
        audit.add("kernel-cmdline", control, True, "booted with %s" % " ".join(words))
        return
    staged = " ".join(read_lines(pending_file) or []).split() if pending_file else []
    staged = [w.strip('"') for w in staged]
    if all(w in staged for w in missing):
        audit.add("kernel-cmdline", control, True, "%s passes %s from the next boot (a reboot is pending)"
                  % (pending_file, " ".join(missing)), skip=True)
        return
    audit.add("kernel-cmdline", control, False, "the running kernel was booted without %s" % " ".join(missing))


SECURITY_INST = re.compile(r"^Inst (\S+) .*\((\S+) ([^)]*-[Ss]ecurity[^)]*)\)")


def pending_security_updates(simulate_lines, state_lines, now):
    """The security updates `apt-get --simulate dist-upgrade` would install, each with when the
    state file says it was first seen (now when it is not there), oldest first."""
    seen = {}
    for line in state_lines:
        parts = line.split()
        if len(parts) == 3:
            seen[(parts[1], parts[2])] = parts[0]
    pending = []
    for line in simulate_lines:
        m = SECURITY_INST.match(line)
        if not m:
            continue
        first = seen.get((m.group(1), m.group(2)))
        try:
            since = time.mktime(time.strptime(first[:19], "%Y-%m-%dT%H:%M:%S")) if first else now
        except ValueError:
            first, since = None, now
        pending.append({"package": m.group(1), "version": m.group(2),
                        "first_seen": first or time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(now)),
                        "age_days": max(0, int((now - since) // 86400))})
    return sorted(pending, key=lambda p: (-p["age_days"], p["package"]))


def check_security_updates(audit, state_file, max_days, now=None):
    control = "SI-2 / CIS 1.2"
    rc, out = audit.run("apt-get", "--simulate", "-o", "Debug::NoLocking=1", "dist-upgrade")
    if rc is None:
        audit.add("security-updates", control, True, out, skip=True, kind="finding")
        return None
    if rc != 0:
        audit.add("security-updates", control, False, "apt-get --simulate failed: %s" % out[-200:], kind="finding")
        return None
    pending = pending_security_updates(out.splitlines(), read_lines(state_file) or [], now or time.time())
    overdue = [p for p in pending if p["age_days"] >= max_days]
    listed = ", ".join("%s %s (%d d)" % (p["package"], p["version"], p["age_days"]) for p in pending[:10])
    if not pending:
        detail = "no security update pending"
    elif not overdue:
        detail = "%d pending, none older than %d day(s): %s" % (len(pending), max_days, listed)
    else:
        detail = "%d pending security update(s), %d at least %d day(s) old: %s" % (len(pending), len(overdue), max_days, listed)
    audit.add("security-updates", control, not overdue, detail, kind="finding")
    return pending


def check_time_sync(audit):
    if audit.container():
        audit.add("time-sync", "AU-8 / CIS 2.3", True, "a %s container: its clock is the host's" % audit.container(), skip=True)
        return
    rc, out = audit.run("timedatectl", "show", "--property=NTP", "--property=NTPSynchronized")
    props = dict(line.split("=", 1) for line in (out or "").splitlines() if "=" in line) if rc == 0 else {}
    ok = props.get("NTP") == "yes"
    audit.add("time-sync", "AU-8 / CIS 2.3", ok, "time-sync client active, synchronised: %s" % props.get("NTPSynchronized")
              if ok else "no active time-sync client (timedatectl: %s)" % (out or "unavailable"))


def read_clamav(path):
    info = {"last_scan": None, "last_result": "never", "detections": [], "unscanned": []}
    for line in read_lines(path) or []:
        m = CLAM_DETECTION.match(line)
        if m:
            info["detections"].append({"time": m.group(1), "path": m.group(2), "signature": m.group(3),
                                       "action": m.group(4)})
            continue
        m = CLAM_SCAN.match(line)
        if m:
            info["last_scan"], info["last_result"] = m.group(1), m.group(2)
            info["unscanned"] = m.group(3).split(",") if m.group(3) else []
    return info


def accepted(finding_path, signature, entries):
    """The acceptance entry that covers a finding (an AIDE path: signature None), or None."""
    for entry in entries:
        if not fnmatch.fnmatchcase(finding_path, entry["path"]):
            continue
        if entry.get("signature") is None and signature is None:
            return entry
        if signature is not None and (entry.get("signature") is None or fnmatch.fnmatchcase(signature, entry["signature"])):
            return entry
    return None


def check_aide_findings(audit, aide, entries):
    control = "SI-7 / CIS 6.1.2"
    if aide["result"] == "never":
        audit.add("aide-findings", control, True, "no scheduled AIDE check has run yet", skip=True, kind="finding")
    elif aide["result"] in ("clean", "accepted", "packages"):
        audit.add("aide-findings", control, True, "last check %s: %s" % (aide["last_run"], {
            "packages": "every change was a package's, as it shipped it: the database was updated"}.get(
                aide["result"], aide["result"])), kind="finding")
    elif aide["result"] == "changes" and aide["paths"]:
        # a file exactly as its package shipped it (an upgrade's) is no finding
        open_paths = [path for path in aide["paths"]
                      if path not in aide["package_paths"] and not accepted(path, None, entries)]
        detail = ("last check %s: %d change(s) not accepted: %s" % (aide["last_run"], len(open_paths), ", ".join(open_paths[:10]))
                  if open_paths else "last check %s: every changed path accepted" % aide["last_run"])
        audit.add("aide-findings", control, not open_paths, detail, kind="finding")
    else:
        audit.add("aide-findings", control, False, "last check %s: %s (added %d, removed %d, changed %d)" % (
            aide["last_run"], aide["result"], aide["added"], aide["removed"], aide["changed"]), kind="finding")


def check_clamav_findings(audit, clam, entries):
    if clam["last_result"] == "never":
        audit.add("clamav-scan", "SI-3", True, "no scheduled scan has run yet", skip=True, kind="finding")
    else:
        unscanned = "; not scanned, kept from the scanner by SELinux: %s" % ", ".join(clam["unscanned"]) if clam["unscanned"] else ""
        audit.add("clamav-scan", "SI-3", clam["last_result"] == "ok", "last scan %s: %s%s" % (
            clam["last_scan"], "ran" if clam["last_result"] == "ok" else "failed (files went unscanned)", unscanned), kind="finding")
    open_hits = [d for d in clam["detections"] if not accepted(d["path"], d["signature"], entries)]
    detail = "; ".join("%s %s (%s)" % (d["path"], d["signature"], d["time"]) for d in open_hits[-10:])
    audit.add("clamav-detections", "SI-3, SI-4", not open_hits, "%d detection(s) not accepted: %s" % (len(open_hits), detail)
              if open_hits else "%d detection(s), all accepted" % len(clam["detections"]), kind="finding")


CVD_HEADER_FIELDS = 9  # ClamAV-VDB:build time:version:signatures:level:md5:dsig:builder:build seconds
FRESHCLAM_START = re.compile(r"ClamAV update process started at (\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4})")


def official_build_times(db_dir):
    """Build times (epoch seconds) of the official databases, from their 512-byte headers."""
    times = []
    for path in glob.glob(os.path.join(db_dir, "*.cvd")) + glob.glob(os.path.join(db_dir, "*.cld")):
        try:
            with open(path, "rb") as f:
                fields = f.read(512).decode("ascii", "replace").split(":")
        except (IOError, OSError):
            continue
        if fields[0] == "ClamAV-VDB" and len(fields) >= CVD_HEADER_FIELDS and fields[8].strip("\x00 ").isdigit():
            times.append(int(fields[8].strip("\x00 ")))
    return times


def last_freshclam_success(lines):
    """Time (epoch seconds) of the last freshclam run whose block logged no error, or None."""
    last, started, failed = None, None, False
    for line in lines:
        m = FRESHCLAM_START.search(line)
        if m:
            if started is not None and not failed:
                last = started
            try:
                started = time.mktime(time.strptime(" ".join(m.group(1).split()), "%a %b %d %H:%M:%S %Y"))
            except ValueError:
                started = None
            failed = False
        elif "ERROR" in line:  # (freshclam warns on every run in some setups: warnings do not count)
            failed = True
    if started is not None and not failed:
        last = started
    return last


def check_signatures(audit, db_dir, log, max_days, now=None):
    now = now or time.time()
    built = official_build_times(db_dir)
    if built:
        newest, what = max(built), "newest official database built"
    else:
        newest, what = last_freshclam_success(read_lines(log) or []), "custom databases only; last freshclam run without error"
    if newest is None:
        audit.add("clamav-signatures", "SI-3 / CIS 6.2 (SI-3(2))", False,
                  "no official database and no successful freshclam run in %s" % log, kind="finding")
        return
    age = (now - newest) / 86400.0
    audit.add("clamav-signatures", "SI-3 / CIS 6.2 (SI-3(2))", age <= max_days, "%s %s: %.1f day(s) ago (at most %d)" % (
        what, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(newest)), age, max_days), kind="finding")


def main():
    module = AnsibleModule(
        argument_spec=dict(
            selinux_state=dict(type="str", choices=["enforcing", "permissive", "disabled"]),
            audit_keys=dict(type="list", elements="str", no_log=False),
            services=dict(type="list", elements="dict", options=dict(
                name=dict(type="str", required=True), control=dict(type="str", required=True),
                skip_reason=dict(type="str"), skip_in_container=dict(type="str"))),
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
            debsums_log=dict(type="path"),
            time_sync=dict(type="bool", default=False),
            kernel_cmdline=dict(type="list", elements="str"),
            security_updates_file=dict(type="path"),
            security_updates_max_age_days=dict(type="int", default=0),
            kernel_cmdline_pending_file=dict(type="path"),
            mounts=dict(type="list", elements="dict", options=dict(
                path=dict(type="path", required=True), options=dict(type="list", elements="str", required=True),
                fstype=dict(type="str"), pending_unit=dict(type="str"), pending_fstab=dict(type="bool", default=False))),
            max_findings=dict(type="int", default=50),
            accepted_findings=dict(type="list", elements="dict", default=[], options=dict(
                path=dict(type="str", required=True), signature=dict(type="str"), reason=dict(type="str", required=True))),
            clamav_database_dir=dict(type="path", default="/var/lib/clamav"),
            freshclam_log=dict(type="path", default="/var/log/clamav/freshclam.log"),
            signatures_max_age_days=dict(type="int", default=0),
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
        result["aide"] = read_aide(p["aide_check_log"])
        check_aide_findings(audit, result["aide"], p["accepted_findings"])
        result["aide"]["paths"] = result["aide"]["paths"][:p["max_findings"]]
        result["aide"]["package_paths"] = result["aide"]["package_paths"][:p["max_findings"]]
    if p["clamav_scan_log"]:
        result["clamav"] = read_clamav(p["clamav_scan_log"])
        check_clamav_findings(audit, result["clamav"], p["accepted_findings"])
        result["clamav"]["detections"] = result["clamav"]["detections"][-p["max_findings"]:]
    if p["debsums_log"]:
        result["debsums"] = read_debsums(p["debsums_log"])
        check_package_files(audit, result["debsums"], p["accepted_findings"])
        result["debsums"]["paths"] = result["debsums"]["paths"][:p["max_findings"]]
    if p["time_sync"]:
        check_time_sync(audit)
    if p["security_updates_file"]:
        pending = check_security_updates(audit, p["security_updates_file"], p["security_updates_max_age_days"])
        if pending is not None:
            result["security_updates"] = pending[:p["max_findings"]]
    if p["kernel_cmdline"]:
        check_kernel_cmdline(audit, p["kernel_cmdline"], p["kernel_cmdline_pending_file"])
    if p["mounts"]:
        check_mounts(audit, p["mounts"], read_lines("/proc/mounts") or [])
    if p["signatures_max_age_days"] > 0:
        check_signatures(audit, p["clamav_database_dir"], p["freshclam_log"], p["signatures_max_age_days"])
    result["checks"] = audit.checks
    result["failed_checks"] = [c["id"] for c in audit.checks if c["status"] == "fail" and c["kind"] == "control"]
    result["findings"] = [c["id"] for c in audit.checks if c["status"] == "fail" and c["kind"] == "finding"]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
