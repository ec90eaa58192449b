"""auditd on a real kernel (NIST AU-2, AU-4, AU-5, AU-12; CIS 4.1)."""


def test_running_and_enabled(host):
    svc = host.service("auditd")
    assert svc.is_running and svc.is_enabled


def test_rules_loaded_including_the_deleted_one(host):
    rules = host.run("auditctl -l").stdout
    assert "-w /etc/passwd -p wa -k identity" in rules
    for key in ("scope", "sshd_config", "time-change", "modules", "MAC-policy", "privileged", "audit_config",
                "user_emulation", "system-locale", "access", "perm_mod", "mounts", "delete", "sudo_log_file", "usermod"):
        assert f"-k {key}" in rules or f"key={key}" in rules, key
    # kmod itself, not its links, and every setuid program found on the host (CIS 6.2.3.6, 6.2.3.19)
    assert "-F path=/usr/bin/kmod -F perm=x" in rules
    setuid = host.run("find / -xdev -type f -perm -4000").stdout.split()
    assert setuid and all(f"-F path={path} " in rules for path in setuid), setuid
    # the whole rules file is loaded: as many rules as it has
    wanted = [line for line in host.file("/etc/audit/audit.rules").content_string.splitlines() if line.startswith(("-w ", "-a "))]
    assert len(rules.splitlines()) == len(wanted)


def test_identity_change_was_audited(host):
    out = host.run("ausearch --input-logs -k identity -i")  # without --input-logs it reads stdin when not on a tty
    assert out.rc == 0 and "usermod" in out.stdout


def test_disk_full_actions(host):
    conf = host.file("/etc/audit/auditd.conf").content_string
    # never halt or single-user by default: a full log disk must not take a bastion down
    assert "disk_full_action = suspend" in conf and "admin_space_left_action = suspend" in conf
    assert "max_log_file_action = keep_logs" in conf  # full files are kept (CIS 6.2.2.2)


def test_not_immutable_by_default(host):
    assert "enabled 1" in host.run("auditctl -s").stdout
