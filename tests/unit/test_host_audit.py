"""host_audit against this machine (files, modes, live sysctl) and against logs written by the
very scripts the aide and clamav roles install (rendered from their templates, run here with
stand-in scanners that print what aide/clamdscan print). On the VMs the module runs for real
in tests/e2e."""
from __future__ import annotations

import os
import stat
import subprocess
import time
from pathlib import Path

from ansible_collections.devsecops.eks_platform.plugins.modules import host_audit

from modrun import run_module

REPO = Path(__file__).resolve().parents[2]


def _render(template: Path, dest: Path, **variables) -> None:
    from jinja2 import Environment
    env = Environment()
    env.filters["bool"] = lambda v: str(v).lower() in ("1", "true", "yes", "on")
    text = env.from_string(template.read_text()).render(ansible_managed="test", **variables)
    dest.write_text(text)
    dest.chmod(0o755)


def _fake_bin(bindir: Path, name: str, script: str) -> None:
    bindir.mkdir(exist_ok=True)
    (bindir / name).write_text("#!/bin/bash\n" + script)
    (bindir / name).chmod(0o755)


def _fake_dpkg(bindir: Path, owned: dict, differ: list) -> None:
    """dpkg-query --search and dpkg --verify as dpkg 1.21 answers them: owned {path: package}, and the
    files --verify reports as differing from what their package shipped (a changed conffile)."""
    search = "".join(f'[ "$3" = "{path}" ] && echo "{pkg}: {path}" && exit 0\n' for path, pkg in owned.items())
    _fake_bin(bindir, "dpkg-query", search + 'echo "dpkg-query: no path found matching pattern $3" >&2; exit 1\n')
    _fake_bin(bindir, "dpkg", "".join(f"echo '??5?????? c {path}'\n" for path in differ) + "exit 0\n")


def test_checks_files_modes_and_live_sysctl(tmp_path):
    f = tmp_path / "secret"
    f.write_text("x")
    f.chmod(0o640)
    live = Path("/proc/sys/net/ipv4/ip_forward").read_text().strip()
    res = run_module(host_audit.main, {
        "files": [{"path": str(f), "control": "AC-6", "mode": "0640"},
                  {"path": str(f), "control": "AC-6", "mode": "0600"},
                  {"path": str(tmp_path / "absent"), "control": "SI-7"}],
        "sysctl": {"net.ipv4.ip_forward": live}})
    status = [c["status"] for c in res["checks"]]
    assert status == ["pass", "fail", "fail", "pass"], res["checks"]
    assert res["failed_checks"] == ["file:%s" % f, "file:%s" % (tmp_path / "absent")]
    assert "expected 0600" in res["checks"][1]["detail"]
    wrong = run_module(host_audit.main, {"sysctl": {"net.ipv4.ip_forward": "7"}})
    assert wrong["failed_checks"] == ["sysctl-live"] and "expected 7" in wrong["checks"][0]["detail"]
    assert res["changed"] is False


def test_skipped_service_is_reported_with_its_reason():
    res = run_module(host_audit.main, {"services": [
        {"name": "fluentd.service", "control": "AU-4", "skip_reason": "not installable here"}]})
    assert res["checks"] == [{"id": "service:fluentd.service", "control": "AU-4", "status": "skip",
                              "detail": "not installable here", "kind": "control"}]
    assert res["failed_checks"] == []


def test_a_unit_a_container_may_not_run_is_skipped_there_only(tmp_path, monkeypatch):
    """Process accounting needs CAP_SYS_PACCT, which a container lacks: skipped there with the reason,
    checked (and failing when inactive) on a host with a kernel of its own."""
    bindir = tmp_path / "bin"
    _fake_bin(bindir, "systemctl", "echo inactive; exit 3\n")
    monkeypatch.setenv("PATH", "%s:%s" % (bindir, os.environ["PATH"]))
    spec = {"services": [{"name": "acct.service", "control": "AU-2", "skip_in_container": "no CAP_SYS_PACCT"}]}
    monkeypatch.setattr(host_audit.Audit, "container", lambda self: None)
    res = run_module(host_audit.main, spec)
    assert res["failed_checks"] == ["service:acct.service"] and res["checks"][0]["detail"] == "acct.service inactive"
    monkeypatch.setattr(host_audit.Audit, "container", lambda self: "docker")
    res = run_module(host_audit.main, spec)
    assert res["checks"][0]["status"] == "skip" and res["checks"][0]["detail"] == "a docker container: no CAP_SYS_PACCT"


def test_reads_findings_the_role_scripts_log(tmp_path, monkeypatch):
    bindir = tmp_path / "bin"
    # What aide --check prints for a changed and an added file (exit 5: changes found).
    _fake_bin(bindir, "aide", "cat <<'EOF'\nStart timestamp: 2026-11-27 10:00:00 +0000 (AIDE 0.18.3)\n"
              "AIDE found differences between database and filesystem!!\n\nSummary:\n  Total number of entries:\t2000\n"
              "  Added entries:\t\t1\n  Removed entries:\t\t0\n  Changed entries:\t\t1\n\n"
              "---------------------------------------------------\nAdded entries:\n"
              "---------------------------------------------------\n\nf++++++++++++++++: /usr/local/bin/eks-evil\n\n"
              "---------------------------------------------------\nChanged entries:\n"
              "---------------------------------------------------\n\nf   ...    .C... : /etc/issue.net\n\n"
              "File: /etc/issue.net\n  SHA256    : abc | def\nEOF\nexit 5\n")
    _fake_bin(bindir, "ionice", 'shift 1; exec "$@"\n')
    _fake_dpkg(bindir, owned={"/etc/issue.net": "base-files"}, differ=["/etc/issue.net"])
    # What clamdscan --infected --no-summary prints for one detection (exit 1: virus found).
    _fake_bin(bindir, "clamdscan", "echo '/root/eicar.com: Eicar-Signature.UNOFFICIAL FOUND'\nexit 1\n")
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    aide_log, scan_log = tmp_path / "aide-check.log", tmp_path / "scan.log"
    _render(REPO / "roles/aide/templates/aide-check.sh.j2", tmp_path / "aide-check", aide_check_log=aide_log)
    _render(REPO / "roles/clamav/templates/clamav-scan.sh.j2", tmp_path / "clamav-scan", clamav_scan_log=scan_log,
            clamav_scan_paths=[str(tmp_path)], clamav_quarantine=False, clamav_quarantine_dir="/q",
            __clamav_unscannable=["^/etc/shadow", "^/etc/audit/"])
    env = dict(os.environ)
    subprocess.run([str(tmp_path / "aide-check")], check=True, env=env)
    subprocess.run([str(tmp_path / "clamav-scan")], check=True, env=env)
    res = run_module(host_audit.main, {"aide_check_log": str(aide_log), "clamav_scan_log": str(scan_log)})
    assert res["aide"]["result"] == "changes"
    assert (res["aide"]["added"], res["aide"]["removed"], res["aide"]["changed"]) == (1, 0, 1)
    assert res["aide"]["paths"] == ["/usr/local/bin/eks-evil", "/etc/issue.net"]
    assert [(d["path"], d["signature"], d["action"]) for d in res["clamav"]["detections"]] == [
        ("/root/eicar.com", "Eicar-Signature.UNOFFICIAL", "logged")]
    assert res["clamav"]["last_scan"] is not None and res["clamav"]["last_result"] == "ok"
    assert stat.S_IMODE(aide_log.stat().st_mode)  # the script created its log
    # Findings are checks of their own kind: they fail until accepted, and are not failed controls.
    assert res["findings"] == ["aide-findings", "clamav-detections"] and res["failed_checks"] == []
    status = {c["id"]: (c["status"], c["kind"]) for c in res["checks"]}
    assert status["clamav-scan"] == ("pass", "finding")
    detail = {c["id"]: c["detail"] for c in res["checks"]}
    # what SELinux keeps from the scanner (excluded in clamd.conf where SELinux is on) is named, not hidden
    assert res["clamav"]["unscanned"] == ["^/etc/shadow", "^/etc/audit/"]
    assert detail["clamav-scan"].endswith("not scanned, kept from the scanner by SELinux: ^/etc/shadow, ^/etc/audit/")
    assert "2 change(s) not accepted: /usr/local/bin/eks-evil, /etc/issue.net" in detail["aide-findings"]
    # One AIDE path accepted: the other is still open. A ClamAV acceptance for another signature does not apply.
    partly = run_module(host_audit.main, {"aide_check_log": str(aide_log), "clamav_scan_log": str(scan_log),
                                          "accepted_findings": [
                                              {"path": "/etc/issue.*", "reason": "banner edited, CHG-1"},
                                              {"path": "/root/eicar.com", "signature": "Win.Trojan.*", "reason": "x"}]})
    assert partly["findings"] == ["aide-findings", "clamav-detections"]
    assert "1 change(s) not accepted: /usr/local/bin/eks-evil" in {c["id"]: c["detail"] for c in partly["checks"]}["aide-findings"]
    # An entry with a signature never accepts an AIDE path; every finding accepted: none open.
    both = [{"path": "/usr/local/bin/eks-evil", "signature": "*", "reason": "x"},
            {"path": "/etc/issue.net", "reason": "banner edited, CHG-1"}]
    assert run_module(host_audit.main, {"aide_check_log": str(aide_log), "accepted_findings": both})["findings"] == ["aide-findings"]
    accepted = run_module(host_audit.main, {"aide_check_log": str(aide_log), "clamav_scan_log": str(scan_log),
                                            "accepted_findings": both[1:] + [
                                                {"path": "/usr/local/bin/*", "reason": "deploy, CHG-2"},
                                                {"path": "/root/eicar.com", "signature": "Eicar-*", "reason": "AV test"}]})
    assert accepted["findings"] == [], accepted["checks"]
    # aide_accept_changes rebuilds the database and logs it (the aide role's own line): no finding.
    line = Path(REPO / "roles/aide/tasks/database.yml").read_text().split('echo "$(date --iso-8601=seconds) ', 1)[1].split('"', 1)[0]
    with aide_log.open("a") as f:
        f.write("2026-11-28T10:00:00+00:00 " + line + "\n")
    after = run_module(host_audit.main, {"aide_check_log": str(aide_log)})
    assert after["aide"]["result"] == "accepted" and after["findings"] == []
    # A scan that could not run (clamd down) is a finding too.
    _fake_bin(bindir, "clamdscan", "echo 'ERROR: Could not connect to clamd'\nexit 2\n")
    subprocess.run([str(tmp_path / "clamav-scan")], check=False, env=env)
    every_detection = [{"path": "*", "signature": "*", "reason": "only the scan's own result is looked at here"}]
    failed = run_module(host_audit.main, {"clamav_scan_log": str(scan_log), "accepted_findings": every_detection})
    assert failed["findings"] == ["clamav-scan"]


CVD = "ClamAV-VDB:{built}:27458:2067690:90:X:X:raynman:{stime}"


def _cvd(path: Path, stime: int) -> None:
    path.write_bytes(CVD.format(built="14 Nov 2026 09-38 +0000", stime=stime).encode().ljust(512, b" ") + b"payload")


def test_signature_age_from_official_headers_or_freshclam_runs(tmp_path):
    import time as _time
    now = _time.time()
    db, log = tmp_path / "db", tmp_path / "freshclam.log"
    db.mkdir()
    args = {"clamav_database_dir": str(db), "freshclam_log": str(log), "signatures_max_age_days": 3}
    # nothing fetched and no log: a finding
    assert run_module(host_audit.main, args)["findings"] == ["clamav-signatures"]
    # official databases: the newest build time counts (a mirror that stopped updating is seen)
    _cvd(db / "main.cvd", int(now - 40 * 86400))
    _cvd(db / "daily.cld", int(now - 5 * 86400))
    stale = run_module(host_audit.main, args)
    assert stale["findings"] == ["clamav-signatures"] and "5.0 day(s) ago" in stale["checks"][0]["detail"]
    _cvd(db / "daily.cld", int(now - 3600))
    assert run_module(host_audit.main, args)["findings"] == []
    # custom databases only: the last freshclam run that logged no error (a denied connection is an error)
    for f in db.iterdir():
        f.unlink()
    (db / "eks-lab-eicar.hdb").write_text("x")

    def started(days):
        return _time.strftime("%a %b %e %H:%M:%S %Y", _time.localtime(now - days * 86400))
    good, bad = started(4), started(0.1)
    log.write_text(f"{good} -> ClamAV update process started at {good}\n"
                   f"{good} -> eks-lab-eicar.hdb is up-to-date (version: custom database)\n"
                   f"{bad} -> ClamAV update process started at {bad}\n"
                   f"{bad} -> ^Can't connect to port 3142 of host 10.0.2.2 (IP: 10.0.2.2)\n"
                   f"{bad} -> ERROR: Update failed.\n")
    res = run_module(host_audit.main, args)
    assert res["findings"] == ["clamav-signatures"], res["checks"]
    assert "last freshclam run without error" in res["checks"][0]["detail"]
    with log.open("a") as f:
        now_s = started(0)
        f.write(f"{now_s} -> ClamAV update process started at {now_s}\n{now_s} -> eks-lab-eicar.hdb is up-to-date\n")
    assert run_module(host_audit.main, args)["findings"] == []
    # 0 skips the check
    assert [c["id"] for c in run_module(host_audit.main, dict(args, signatures_max_age_days=0))["checks"]] == []


def test_no_log_yet_means_never():
    res = run_module(host_audit.main, {"aide_check_log": "/nonexistent/aide.log",
                                       "clamav_scan_log": "/nonexistent/scan.log"})
    assert res["aide"]["result"] == "never" and res["aide"]["last_run"] is None
    assert res["clamav"] == {"last_scan": None, "last_result": "never", "detections": [], "unscanned": []}
    # a host whose timers have not fired yet has no finding: the checks are skipped, and say why
    assert res["findings"] == [] and {c["status"] for c in res["checks"] if c["id"] != "clamav-detections"} == {"skip"}


# The rules file and `auditctl -l` as a Debian 12 lab VM showed them (auditd 3.0.9): auditctl
# reorders syscalls, adds -S all to path rules, writes -k as -F key= and unset as -1.
RULES_FILE = """-D
-b 8192
-w /etc/passwd -p wa -k identity
-w /etc/pam.d -p wa -k identity
-a always,exit -F arch=b64 -S creat,open,openat,truncate,ftruncate -F exit=-EACCES -F auid>=1000 -F auid!=unset -k access
-a always,exit -F path=/usr/bin/kmod -F perm=x -F auid>=1000 -F auid!=unset -k modules
-a always,exit -F path=/usr/bin/sudo -F perm=x -F auid>=1000 -F auid!=unset -k privileged
-a always,exit -F path=/usr/bin/su -F perm=x -F auid>=1000 -F auid!=unset -k privileged
""".splitlines()
LOADED = """-w /etc/passwd -p wa -k identity
-w /etc/pam.d -p wa -k identity
-a always,exit -F arch=b64 -S open,truncate,ftruncate,creat,openat -F exit=-EACCES -F auid>=1000 -F auid!=-1 -F key=access
-a always,exit -S all -F path=/usr/bin/kmod -F perm=x -F auid>=1000 -F auid!=-1 -F key=modules
-a always,exit -S all -F path=/usr/bin/sudo -F perm=x -F auid>=1000 -F auid!=-1 -F key=privileged
-a always,exit -S all -F path=/usr/bin/su -F perm=x -F auid>=1000 -F auid!=-1 -F key=privileged
""".splitlines()


def test_every_rule_of_the_file_is_loaded():
    assert host_audit.rules_not_loaded(RULES_FILE, LOADED) == []


def test_a_privileged_command_rule_missing_is_named_though_its_key_is_loaded():
    # key=privileged is still loaded (sudo's rule): a key check passes, this one names su
    loaded = [line for line in LOADED if "/usr/bin/su " not in line]
    assert host_audit.rules_not_loaded(RULES_FILE, loaded) == ["/usr/bin/su", "5 of 6 rules loaded"]


def test_a_syscall_rule_missing_is_counted():
    loaded = [line for line in LOADED if "key=access" not in line]
    assert host_audit.rules_not_loaded(RULES_FILE, loaded) == ["5 of 6 rules loaded"]


def test_pam_problems_reads_only_active_lines():
    stacks = {
        "/etc/pam.d/common-auth": ["# pam_faillock.so mentioned in a comment",
                                   "auth [success=1 default=ignore] pam_unix.so nullok try_first_pass"],
        "/etc/pam.d/common-password": ["password requisite pam_pwhistory.so use_authtok"],
    }
    problems = host_audit.pam_problems(
        {"common-auth": ["pam_faillock.so"], "common-password": ["pam_pwhistory.so"], "su": ["pam_wheel.so"]},
        {"common-auth": ["nullok"], "common-password": ["nullok"]}, read=stacks.get)
    assert problems == ["common-auth lacks pam_faillock.so", "/etc/pam.d/su missing", "common-auth holds nullok"]
    # nullok_secure is another word; a module name inside a longer one does not count
    stacks["/etc/pam.d/common-auth"] = ["auth requisite pam_faillock.so preauth", "auth sufficient pam_unix.so nullok_secure"]
    stacks["/etc/pam.d/su"] = ["auth required pam_wheel.so.bak"]
    assert host_audit.pam_problems({"common-auth": ["pam_faillock.so"], "su": ["pam_wheel.so"]},
                                   {"common-auth": ["nullok"]}, read=stacks.get) == ["su lacks pam_wheel.so"]


def test_firewall_fails_when_its_rules_would_not_come_back_after_a_reboot(tmp_path, monkeypatch):
    bindir = tmp_path / "bin"
    _fake_bin(bindir, "nft", "echo 'table inet eks_platform {'; echo '  chain forward { type filter hook forward priority filter; policy drop; }';"
              " echo '  chain input { type filter hook input priority filter; policy drop; }'; echo '}'\n")
    _fake_bin(bindir, "systemctl", 'echo "$NFT_STATE"; [ "$NFT_STATE" = enabled ]\n')
    monkeypatch.setenv("PATH", f"{bindir}:{os.environ['PATH']}")
    monkeypatch.setenv("NFT_STATE", "enabled")
    assert run_module(host_audit.main, {"nft_table": "inet eks_platform"})["failed_checks"] == []
    monkeypatch.setenv("NFT_STATE", "disabled")
    res = run_module(host_audit.main, {"nft_table": "inet eks_platform"})
    assert res["failed_checks"] == ["firewall"] and "nftables.service is disabled" in res["checks"][0]["detail"]
    # an accepting input chain fails though the forward chain drops
    _fake_bin(bindir, "nft", "echo '  chain forward { type filter hook forward priority filter; policy drop; }';"
              " echo '  chain input { type filter hook input priority filter; policy accept; }'\n")
    monkeypatch.setenv("NFT_STATE", "enabled")
    assert run_module(host_audit.main, {"nft_table": "inet eks_platform"})["failed_checks"] == ["firewall"]


def test_unattended_upgrades_read_from_apt_merged_configuration(tmp_path, monkeypatch):
    bindir = tmp_path / "bin"
    _fake_bin(bindir, "apt-config", 'echo "APT::Periodic::Unattended-Upgrade \\"$UU\\";"\n')
    monkeypatch.setenv("PATH", f"{bindir}:{os.environ['PATH']}")
    monkeypatch.setenv("UU", "1")
    assert run_module(host_audit.main, {"unattended_upgrades": True})["failed_checks"] == []
    monkeypatch.setenv("UU", "0")  # a later apt.conf.d file turned it off: the timer still runs, nothing upgrades
    res = run_module(host_audit.main, {"unattended_upgrades": True})
    assert res["failed_checks"] == ["unattended-upgrades"]


def test_package_file_check_logs_and_findings(tmp_path, monkeypatch):
    """The baseline role's debsums script, run here with a stand-in debsums printing what debsums 3.0
    prints (a changed file on stdout, a missing one on stderr, exit 2), then read by host_audit."""
    bindir = tmp_path / "bin"
    _fake_bin(bindir, "debsums", 'echo "$DEBSUMS_OUT"; [ -n "$DEBSUMS_ERR" ] && echo "$DEBSUMS_ERR" >&2; exit "$DEBSUMS_RC"\n')
    _fake_bin(bindir, "ionice", 'shift 1; exec "$@"\n')
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    log = tmp_path / "debsums-check.log"
    _render(REPO / "roles/baseline/templates/debsums-check.sh.j2", tmp_path / "check", baseline_debsums_log=log)

    def check(out, err, rc):
        env = dict(os.environ, DEBSUMS_OUT=out, DEBSUMS_ERR=err, DEBSUMS_RC=str(rc))
        return subprocess.run([str(tmp_path / "check")], env=env, check=False).returncode

    assert run_module(host_audit.main, {"debsums_log": str(log)})["checks"][0]["status"] == "skip"
    assert check("", "debsums: no md5sums for localpkg", 0) == 0
    res = run_module(host_audit.main, {"debsums_log": str(log)})
    assert res["debsums"]["result"] == "clean" and res["findings"] == []
    assert check("/usr/bin/passwd", "debsums: missing file /usr/bin/chage (from passwd package)", 2) == 0
    res = run_module(host_audit.main, {"debsums_log": str(log)})
    assert res["debsums"] == {"last_run": res["debsums"]["last_run"], "result": "changes",
                              "paths": ["/usr/bin/chage", "/usr/bin/passwd"]}
    assert res["findings"] == ["package-files"]
    accepted = [{"path": "/usr/bin/*", "reason": "vendor hotfix, CHG-9"}]
    assert run_module(host_audit.main, {"debsums_log": str(log), "accepted_findings": accepted})["findings"] == []
    # a package it could not read: an error, which the service reports as failed and host_audit as a finding
    assert check("", "debsums: can't open passwd file /usr/bin/passwd (Permission denied)", 1) != 0
    res = run_module(host_audit.main, {"debsums_log": str(log), "accepted_findings": accepted})
    assert res["debsums"]["result"] == "error" and res["findings"] == ["package-files"]
    assert "debsums-error debsums: can't open" in log.read_text()


def test_time_sync_read_from_timedatectl(tmp_path, monkeypatch):
    bindir = tmp_path / "bin"
    _fake_bin(bindir, "timedatectl", 'printf "NTP=%s\\nNTPSynchronized=no\\n" "$NTP"\n')
    _fake_bin(bindir, "systemd-detect-virt", 'echo "$VIRT"; [ "$VIRT" != none ]\n')
    monkeypatch.setenv("PATH", f"{bindir}:{os.environ['PATH']}")
    monkeypatch.setenv("VIRT", "none")
    monkeypatch.setenv("NTP", "yes")
    res = run_module(host_audit.main, {"time_sync": True})
    assert res["failed_checks"] == [] and "synchronised: no" in res["checks"][0]["detail"]
    monkeypatch.setenv("NTP", "no")
    assert run_module(host_audit.main, {"time_sync": True})["failed_checks"] == ["time-sync"]

    # a container's clock is the host's: skipped, saying so (the lab's egress proxy is one)
    monkeypatch.setenv("VIRT", "docker")
    res = run_module(host_audit.main, {"time_sync": True})
    assert res["checks"][0]["status"] == "skip" and "docker container" in res["checks"][0]["detail"]


MOUNTS = """sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0
proc /proc proc rw,nosuid,nodev,noexec,relatime,gid=997,hidepid=invisible 0 0
tmpfs /dev/shm tmpfs rw,nosuid,nodev,noexec,inode64 0 0
/dev/vda1 / ext4 rw,relatime 0 0
""".splitlines()


def test_mounts_checked_with_the_options_the_kernel_shows(tmp_path, monkeypatch):
    bindir = tmp_path / "bin"
    _fake_bin(bindir, "systemd-detect-virt", 'echo none; exit 1\n')
    _fake_bin(bindir, "systemctl", 'echo "$TMP_UNIT"; [ "$TMP_UNIT" = enabled ]\n')
    monkeypatch.setenv("PATH", f"{bindir}:{os.environ['PATH']}")
    monkeypatch.setenv("TMP_UNIT", "enabled")
    module = type("M", (), {"get_bin_path": lambda self, name: str(bindir / name) if (bindir / name).exists() else None,
                            "run_command": lambda self, argv: _run(argv)})()
    audit = host_audit.Audit(module)
    host_audit.check_mounts(audit, [
        {"path": "/dev/shm", "options": ["nodev", "nosuid", "noexec"]},
        {"path": "/proc", "options": ["hidepid=2"]},  # the kernel shows hidepid=invisible
        {"path": "/tmp", "options": ["nodev", "nosuid"], "fstype": "tmpfs", "pending_unit": "tmp.mount"},
        {"path": "/", "options": ["nodev"]}], MOUNTS)
    assert [(c["id"], c["status"]) for c in audit.checks] == [
        ("mount:/dev/shm", "pass"), ("mount:/proc", "pass"), ("mount:/tmp", "skip"), ("mount:/", "fail")]
    assert "a reboot is pending" in audit.checks[2]["detail"] and "expected ext4 with nodev" in audit.checks[3]["detail"]
    # the unit not enabled: /tmp not being a tmpfs is a failure
    monkeypatch.setenv("TMP_UNIT", "disabled")
    audit = host_audit.Audit(module)
    host_audit.check_mounts(audit, [{"path": "/tmp", "options": ["nodev"], "fstype": "tmpfs", "pending_unit": "tmp.mount"}], MOUNTS)
    assert audit.checks[0]["status"] == "fail" and "not a mount point" in audit.checks[0]["detail"]


def _run(argv):
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr


AIDE_PACKAGE_CHANGE = ("Start timestamp: 2026-11-27 10:00:00 +0000 (AIDE 0.18.3)\n"
                       "AIDE found differences between database and filesystem!!\n\nSummary:\n"
                       "  Total number of entries:\t2000\n  Added entries:\t\t0\n  Removed entries:\t\t0\n"
                       "  Changed entries:\t\t{n}\n\n---------------------------------------------------\n"
                       "Changed entries:\n---------------------------------------------------\n\n{lines}\n")


def test_aide_accepts_what_packages_shipped_and_keeps_the_rest(tmp_path, monkeypatch):
    """An upgrade rewrote /usr/bin/passwd exactly as its package ships it: logged as the package's, no
    finding, and when it is the only change the database is updated (result=packages). A hand edit
    next to it stays a finding, and nothing is updated."""
    bindir, lib = tmp_path / "bin", tmp_path / "lib"
    lib.mkdir()
    (lib / "aide.db").write_text("old")
    upgraded = tmp_path / "passwd"  # stands in for /usr/bin/passwd: it must exist
    upgraded.write_text("x")
    edited = tmp_path / "motd"
    edited.write_text("y")
    _fake_bin(bindir, "ionice", 'shift 1; exec "$@"\n')
    _fake_bin(bindir, "aide", 'if [ "$1" = --update ]; then echo new > "$LIB/aide.db.new"; exit 4; fi\n'
              'printf "%b" "$AIDE_OUT"; exit 4\n')
    _fake_dpkg(bindir, owned={str(upgraded): "passwd", str(edited): "base-files"}, differ=[str(edited)])
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("LIB", str(lib))
    log = tmp_path / "aide-check.log"
    _render(REPO / "roles/aide/templates/aide-check.sh.j2", tmp_path / "aide-check", aide_check_log=log)
    script = tmp_path / "aide-check"
    script.write_text(script.read_text().replace("/var/lib/aide", str(lib)))

    both = f"f   ...    .C... : {upgraded}\nf   ...    .C... : {edited}"
    monkeypatch.setenv("AIDE_OUT", AIDE_PACKAGE_CHANGE.format(n=2, lines=both))
    subprocess.run([str(script)], check=True)
    res = run_module(host_audit.main, {"aide_check_log": str(log)})
    assert res["aide"]["result"] == "changes" and res["aide"]["package_paths"] == [str(upgraded)]
    assert res["findings"] == ["aide-findings"] and f"1 change(s) not accepted: {edited}" in res["checks"][0]["detail"]
    assert (lib / "aide.db").read_text() == "old" and not (lib / "aide.db.new").exists()

    monkeypatch.setenv("AIDE_OUT", AIDE_PACKAGE_CHANGE.format(n=1, lines=f"f   ...    .C... : {upgraded}"))
    subprocess.run([str(script)], check=True)
    res = run_module(host_audit.main, {"aide_check_log": str(log)})
    assert res["aide"]["result"] == "packages" and res["findings"] == []
    assert (lib / "aide.db").read_text() == "new\n"
    # a file gone is vouched for by no package: it stays a finding
    upgraded.unlink()
    subprocess.run([str(script)], check=True)
    assert run_module(host_audit.main, {"aide_check_log": str(log)})["findings"] == ["aide-findings"]


def test_proc_hidepid_pending_until_the_next_boot(monkeypatch):
    live = ["proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0"]
    module = type("M", (), {"get_bin_path": lambda self, name: None})()
    spec = [{"path": "/proc", "options": ["hidepid=2"], "pending_fstab": True}]
    monkeypatch.setattr(host_audit.Audit, "fstab", staticmethod(lambda: ["proc /proc proc defaults,hidepid=2,gid=997 0 0"]))
    audit = host_audit.Audit(module)
    host_audit.check_mounts(audit, spec, live)
    assert audit.checks[0]["status"] == "skip" and "a reboot is pending" in audit.checks[0]["detail"]
    # not in /etc/fstab either: a failure
    monkeypatch.setattr(host_audit.Audit, "fstab", staticmethod(lambda: ["proc /proc proc defaults 0 0"]))
    audit = host_audit.Audit(module)
    host_audit.check_mounts(audit, spec, live)
    assert audit.checks[0]["status"] == "fail"


def test_kernel_command_line_pending_from_the_grub_drop_in(tmp_path, monkeypatch):
    monkeypatch.setattr(host_audit.Audit, "container", lambda self: None)
    module = type("M", (), {"get_bin_path": lambda self, name: None})()
    words = ["audit=1", "audit_backlog_limit=8192"]
    booted = "BOOT_IMAGE=/vmlinuz root=/dev/vda ro audit=1 audit_backlog_limit=8192 quiet"
    audit = host_audit.Audit(module)
    host_audit.check_kernel_cmdline(audit, words, None, cmdline=booted)
    assert audit.checks[0]["status"] == "pass"
    # booted without them, the auditd role's GRUB drop-in passes them from the next boot: pending, skipped
    drop_in = tmp_path / "60-eks-platform-audit.cfg"
    drop_in.write_text('# Managed\nGRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX audit=1 audit_backlog_limit=8192"\n')
    audit = host_audit.Audit(module)
    host_audit.check_kernel_cmdline(audit, words, str(drop_in), cmdline="root=/dev/vda ro quiet")
    assert audit.checks[0]["status"] == "skip" and "a reboot is pending" in audit.checks[0]["detail"]
    # no drop-in (or one without the backlog): a failure naming what is missing
    drop_in.write_text('GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX audit=1"\n')
    audit = host_audit.Audit(module)
    host_audit.check_kernel_cmdline(audit, words, str(drop_in), cmdline="root=/dev/vda audit=1")
    assert audit.checks[0]["status"] == "fail" and audit.checks[0]["detail"].endswith("without audit_backlog_limit=8192")
    # in a container the kernel is the host's
    monkeypatch.setattr(host_audit.Audit, "container", lambda self: "docker")
    audit = host_audit.Audit(module)
    host_audit.check_kernel_cmdline(audit, words, None, cmdline="")
    assert audit.checks[0]["status"] == "skip"


def test_selinux_port_types_take_the_narrowest_range():
    """The clamav role's helper reads the policy's port list (libsemanage): the proxy's port is the type the policy
    names for it, not the wide range it falls in; an unnamed port is unreserved_port_t."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("ports", REPO / "roles/clamav/files/selinux-port-types.py")
    ports = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ports)
    # (type, protocol, low, high) as libsemanage lists Debian 12's policy ports
    listing = [("aptcacher_port_t", "tcp", 3142, 3142), ("http_cache_port_t", "tcp", 8080, 8080),
               ("http_cache_port_t", "tcp", 10001, 10010), ("http_port_t", "tcp", 80, 80),
               ("squid_port_t", "tcp", 3128, 3128), ("squid_port_t", "udp", 3401, 3401),
               ("unreserved_port_t", "tcp", 61000, 65535), ("unreserved_port_t", "tcp", 1024, 32767)]
    assert ports.port_types(listing, [3142]) == ["aptcacher_port_t"]
    assert ports.port_types(listing, [3128, 10005]) == ["http_cache_port_t", "squid_port_t"]
    assert ports.port_types(listing, [3999]) == ["unreserved_port_t"]


# apt-get --simulate dist-upgrade as a Debian 12 host printed it (bookworm become oldstable)
SIMULATE = """Reading package lists...
Inst base-files [12.4+deb12u11] (12.4+deb12u15 Debian:12.15/oldstable [amd64])
Inst libssl3 [3.0.15-1~deb12u1] (3.0.22-1~deb12u2 Debian:12.15/oldstable, Debian-Security:12/oldstable-security [amd64])
Inst libpam0g [1.5.2-6+deb12u1] (1.5.2-6+deb12u3 Debian-Security:12/oldstable-security [amd64])
Conf base-files (12.4+deb12u15 Debian:12.15/oldstable [amd64])
""".splitlines()


def test_pending_security_updates_with_their_age():
    """Only the security origin counts (base-files comes from a point release); the age is the baseline
    role's first-seen time, and an update not in its state file is new now."""
    now = time.mktime(time.strptime("2026-12-05T12:00:00", "%Y-%m-%dT%H:%M:%S"))
    state = ["2026-12-01T10:00:00+00:00 libssl3 3.0.22-1~deb12u2",
             "2026-11-01T10:00:00+00:00 libssl3 3.0.11-1~deb12u2"]  # an older version: not this one
    pending = host_audit.pending_security_updates(SIMULATE, state, now)
    assert [(p["package"], p["version"], p["age_days"]) for p in pending] == [
        ("libssl3", "3.0.22-1~deb12u2", 4), ("libpam0g", "1.5.2-6+deb12u3", 0)]
    assert pending[0]["first_seen"].startswith("2026-12-01T10:00:00")


def test_security_updates_finding_after_the_grace(tmp_path, monkeypatch):
    bindir = tmp_path / "bin"
    (tmp_path / "simulate").write_text("\n".join(SIMULATE) + "\n")
    _fake_bin(bindir, "apt-get", f'cat {tmp_path / "simulate"}\n')
    monkeypatch.setenv("PATH", f"{bindir}:{os.environ['PATH']}")
    state = tmp_path / "security-pending"
    state.write_text(time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.localtime(time.time() - 3 * 86400))
                     + " libssl3 3.0.22-1~deb12u2\n")
    res = run_module(host_audit.main, {"security_updates_file": str(state)})
    assert res["findings"] == ["security-updates"] and len(res["security_updates"]) == 2
    assert "2 pending security update(s), 2 at least 0 day(s) old: libssl3 3.0.22-1~deb12u2 (3 d)" in res["checks"][0]["detail"]
    # a week's grace: both are reported, neither is a finding yet
    graced = run_module(host_audit.main, {"security_updates_file": str(state), "security_updates_max_age_days": 7})
    assert graced["findings"] == [] and "2 pending, none older than 7 day(s)" in graced["checks"][0]["detail"]
    # nothing pending
    (tmp_path / "simulate").write_text("Reading package lists...\n")
    assert run_module(host_audit.main, {"security_updates_file": str(state)})["checks"][0]["detail"] == "no security update pending"


def test_services_are_read_in_one_systemctl_call(tmp_path, monkeypatch):
    """systemctl is-active prints one state per unit, in order, and exits non-zero when one is not
    active: each unit gets its own state, with one call for all."""
    bindir, calls = tmp_path / "bin", tmp_path / "calls"
    _fake_bin(bindir, "systemctl", 'echo "$*" >>%s; printf "active\\nfailed\\nactive\\n"; exit 3\n' % calls)
    monkeypatch.setenv("PATH", "%s:%s" % (bindir, os.environ["PATH"]))
    monkeypatch.setattr(host_audit.Audit, "container", lambda self: None)
    res = run_module(host_audit.main, {"services": [
        {"name": "auditd.service", "control": "AU-12"},
        {"name": "fluentd.service", "control": "AU-4", "skip_reason": "not installable here"},
        {"name": "clamav-daemon.service", "control": "SI-3"},
        {"name": "eks-aide-check.timer", "control": "SI-7"}]})
    assert [(c["id"], c["status"], c["detail"]) for c in res["checks"]] == [
        ("service:auditd.service", "pass", "auditd.service active"),
        ("service:fluentd.service", "skip", "not installable here"),
        ("service:clamav-daemon.service", "fail", "clamav-daemon.service failed"),
        ("service:eks-aide-check.timer", "pass", "eks-aide-check.timer active")]
    assert calls.read_text() == "is-active -- auditd.service clamav-daemon.service eks-aide-check.timer\n"
