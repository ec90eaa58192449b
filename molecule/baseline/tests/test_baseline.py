"""Hardened state after converge, drift and repair. Control ids are listed in docs/controls.md."""


def test_sshd_effective_settings(host):  # NIST AC-17, IA-2; CIS 5.2.x
    cfg = host.run("sshd -T -C user=root,host=localhost,addr=127.0.0.1").stdout.lower()
    assert "permitrootlogin without-password" in cfg  # Ansible connects as root: key-only, never locked out
    assert "passwordauthentication no" in cfg
    assert "x11forwarding no" in cfg
    assert "maxauthtries 3" in cfg
    # Both lists are set: sshd admits only a user in both, so the operator is kept in each.
    users = {line.split()[1] for line in cfg.splitlines() if line.startswith("allowusers ")}
    groups = {line.split()[1] for line in cfg.splitlines() if line.startswith("allowgroups ")}
    assert users == {"deploy", "root"} and groups == {"sshusers", "root"}
    for setting in ("maxsessions 4", "maxstartups 10:30:60", "compression no", "tcpkeepalive no"):
        assert setting in cfg, setting


def test_sshd_config_validated_and_private(host):
    f = host.file("/etc/ssh/sshd_config")
    assert f.mode == 0o600 and f.user == "root"
    assert host.run("sshd -t").rc == 0


def test_password_policy(host):  # NIST IA-5; CIS 5.5.1
    defs = host.file("/etc/login.defs").content_string
    assert "PASS_MAX_DAYS   365" in defs and "UMASK           027" in defs
    assert "minlen = 14" in host.file("/etc/security/pwquality.conf").content_string


def test_sha_crypt_hashes_with_the_rounds_set(host):  # Lynis AUTH-9230
    # chpasswd told to use SHA512 (no PAM then) takes its rounds from login.defs
    user = "molecule-hash"
    host.run_expect([0], f"useradd -M -s /usr/sbin/nologin {user}")
    try:
        assert host.run(f"echo '{user}:Unused-pass-4711' | chpasswd --crypt-method SHA512").rc == 0
        assert host.run(f"getent shadow {user}").stdout.split(":")[1].startswith("$6$rounds=65536$")
    finally:
        host.run(f"userdel {user}")


def test_sudo_logs_every_command(host):  # NIST AU-2; CIS 5.3.x
    assert host.run("visudo -cf /etc/sudoers.d/00-eks-platform").rc == 0
    sudoers = host.file("/etc/sudoers.d/00-eks-platform").content_string
    assert 'logfile="/var/log/sudo.log"' in sudoers and "log_output" in sudoers
    # no input I/O log: with pipelining, sudo's input is every module with its arguments (no_log ones too)
    assert "log_input" not in sudoers


def test_sensitive_file_permissions(host):  # NIST AC-6; CIS 6.1.x
    assert host.file("/etc/shadow").mode == 0o640
    assert host.file("/etc/shadow").group == "shadow"
    for cron in ("d", "hourly", "daily", "weekly", "monthly"):  # CIS Debian 12 2.4.1.3-2.4.1.7
        d = host.file(f"/etc/cron.{cron}")
        assert d.is_directory and d.mode == 0o700 and d.user == "root", cron


def test_sysctl_file_restored(host):  # NIST SC-7; CIS 3.x
    conf = host.file("/etc/sysctl.d/99-zz-eks-platform.conf").content_string
    assert "net.ipv4.conf.all.accept_redirects = 0" in conf
    assert "accept_redirects = 1" not in conf
    assert "net.ipv4.ip_forward = 0" in conf
    for line in ("kernel.kexec_load_disabled = 1", "kernel.unprivileged_bpf_disabled = 1", "fs.protected_regular = 2",
                 "net.ipv6.conf.all.accept_source_route = 0", "net.ipv6.conf.all.forwarding = 0", "kernel.core_uses_pid = 1"):
        assert line in conf, line
    # applied last: `sysctl --system` goes by file name and the last value wins (procps'
    # 99-protect-links.conf sets fs.protected_fifos = 1); the old name is gone
    order = host.run("sysctl --system 2>/dev/null | sed -n 's/^[*] Applying \\(.*\\) [.][.][.]$/\\1/p'").stdout.split()
    assert [p for p in order if p != "/etc/sysctl.conf"][-1] == "/etc/sysctl.d/99-zz-eks-platform.conf", order
    assert "/usr/lib/sysctl.d/99-protect-links.conf" in order
    assert not host.file("/etc/sysctl.d/90-eks-platform.conf").exists


def test_no_core_dumps(host):  # CIS 1.5.1
    assert "*    hard    core    0" in host.file("/etc/security/limits.d/90-eks-platform-core.conf").content_string
    coredump = host.file("/etc/systemd/coredump.conf.d/90-eks-platform.conf").content_string
    assert "Storage=none" in coredump and "ProcessSizeMax=0" in coredump


def test_unneeded_packages_absent_and_baseline_present(host):  # NIST CM-7
    assert not host.package("telnet").is_installed
    for pkg in ("sudo", "nftables", "unattended-upgrades", "libpam-pwquality"):
        assert host.package(pkg).is_installed


def test_unattended_security_upgrades(host):  # NIST SI-2
    assert 'Unattended-Upgrade "1"' in host.file("/etc/apt/apt.conf.d/20auto-upgrades").content_string
    assert "Automatic-Reboot \"false\"" in host.file("/etc/apt/apt.conf.d/52eks-platform-unattended-upgrades").content_string


def test_package_proxy_persisted(host):
    assert ":3142" in host.file("/etc/apt/apt.conf.d/01eks-platform-proxy").content_string


def test_kernel_modules_disabled_except_mounted_filesystems(host):  # CIS 1.1.1, 3.2
    conf = host.file("/etc/modprobe.d/eks-platform-disabled.conf").content_string
    for module in ("cramfs", "udf", "usb-storage", "firewire-core", "dccp", "sctp", "rds", "tipc", "vfat"):
        assert f"install {module} /bin/false" in conf and f"blacklist {module}" in conf, module
    for module in ("tmpfs", "squashfs", "overlay"):  # tmpfs is mounted here; containerd needs the others
        assert f" {module} " not in conf and not conf.rstrip().endswith(module), module


def test_banners_shell_timeout_and_sudo_log_rotation(host):  # CIS 1.7, 5.4.3.2, 5.4.3.3
    for path in ("/etc/issue", "/etc/issue.net"):
        text = host.file(path).content_string
        assert text.startswith("Authorized use only.") and "\\" not in text and "Debian" not in text, path
    assert host.run("bash -lc 'echo $TMOUT; umask'").stdout.split() == ["900", "0027"]
    assert host.run("bash -lc 'TMOUT=0'").rc != 0  # read-only
    assert "/var/log/sudo.log {" in host.file("/etc/logrotate.d/eks-platform-sudo").content_string
    assert host.run("logrotate --debug /etc/logrotate.d/eks-platform-sudo").rc == 0


def test_pam_lockout_history_no_empty_passwords_and_su(host):  # NIST AC-7, IA-5; CIS 5.3.2, 5.3.3, 5.2.7
    auth = [line.split() for line in host.file("/etc/pam.d/common-auth").content_string.splitlines()
            if line.strip() and not line.startswith("#")]
    modules = [next((w for w in line if w.startswith("pam_")), "") for line in auth]
    # preauth refuses a locked account before the password is checked; authfail counts a failure after
    order = [m for m in modules if m in ("pam_faillock.so", "pam_unix.so")]
    assert order == ["pam_faillock.so", "pam_unix.so", "pam_faillock.so"], auth
    assert not any("nullok" in line for line in auth), auth  # the drift put it back: repaired
    assert "pam_faillock.so" in host.file("/etc/pam.d/common-account").content_string
    password = host.file("/etc/pam.d/common-password").content_string
    assert password.index("pam_pwhistory.so") < password.index("pam_unix.so")
    faillock = host.file("/etc/security/faillock.conf").content_string
    assert "deny = 5" in faillock and "unlock_time = 900" in faillock and "even_deny_root" not in faillock
    assert "remember = 24" in host.file("/etc/security/pwhistory.conf").content_string
    # su only for the (empty) su group
    assert "auth       required   pam_wheel.so use_uid group=sugroup" in host.file("/etc/pam.d/su").content_string
    assert host.group("sugroup").exists and host.run("getent group sugroup").stdout.strip().endswith(":")


def test_password_ageing_applied_to_existing_accounts(host):  # CIS 5.4.1.x
    shadow = host.run("getent shadow alice").stdout.strip().split(":")
    assert shadow[3:7] == ["1", "365", "14", "30"], shadow  # the drift's chage --maxdays 99999 repaired
    assert "INACTIVE=30" in host.run("useradd -D").stdout


def test_journal_kept_and_compressed(host):  # CIS 6.1.2.x
    conf = host.file("/etc/systemd/journald.conf.d/60-eks-platform.conf").content_string
    assert "Storage=persistent" in conf and "Compress=yes" in conf
    assert host.service("systemd-journald").is_running


def test_ssh_host_keys_root_only(host):  # CIS 5.1.2, 5.1.3
    for kind in ("ed25519", "rsa"):
        key = host.file(f"/etc/ssh/ssh_host_{kind}_key")
        assert key.mode == 0o600 and key.user == "root", kind
        assert host.file(f"/etc/ssh/ssh_host_{kind}_key.pub").mode == 0o644, kind


def test_package_files_checked_on_a_timer_and_changes_named(host):  # NIST SI-7; CIS 1.3
    assert host.service("eks-debsums-check.timer").is_enabled
    assert "OnCalendar=*-*-* 03:40:00" in host.file("/etc/systemd/system/eks-debsums-check.timer").content_string
    # the drift step changed one package file: the check names that file and nothing else, and exits 0 (it ran)
    assert host.run("systemctl start eks-debsums-check.service").rc == 0
    log = host.file("/var/log/debsums/debsums-check.log").content_string.splitlines()
    summary = [line for line in log if " debsums-check " in line][-1]
    assert "result=changes" in summary and summary.endswith("changed=1"), log[-20:]
    stamp = summary.split()[0]
    assert [line.split(" ", 2)[2] for line in log if line.startswith(stamp + " debsums-changed ")] == [
        "/usr/share/common-licenses/GPL-3"]
    assert "/var/log/debsums/debsums-check.log {" in host.file("/etc/logrotate.d/eks-platform-debsums").content_string


def test_time_synchronised_with_the_amazon_time_sync_service(host):  # NIST AU-8; CIS 2.3
    assert host.package("systemd-timesyncd").is_installed
    conf = host.file("/etc/systemd/timesyncd.conf.d/60-eks-platform.conf").content_string
    assert "NTP=169.254.169.123" in conf and "FallbackNTP=\n" in conf
    assert host.service("systemd-timesyncd").is_enabled  # (it never runs in a container: ConditionVirtualization)


def test_pending_security_updates_applied_at_converge(host):  # NIST SI-2
    """The container image is the point release's: the archive's security updates are pending when
    the converge starts, and the converge applies them (unattended-upgrade, the security origins)."""
    import pytest

    out = host.check_output("LC_ALL=C apt-get --simulate -o Debug::NoLocking=1 dist-upgrade")
    security = [line for line in out.splitlines() if line.startswith("Inst ") and "-Security" in line]
    assert security == [], security
    log = host.file("/var/log/unattended-upgrades/unattended-upgrades.log")
    if not (log.exists and "Packages that will be upgraded:" in log.content_string):
        pytest.skip("the security archive had no update for the container image's packages: nothing was applied")
    # the state file host_audit ages them by holds only what is still pending: nothing
    assert host.file("/var/lib/eks-platform/security-pending").content_string == ""


def test_process_accounting_installed_rotated_and_skipped_in_a_container(host):  # NIST AU-2, AU-12
    """Installed with its daily rotation (the package's job; no second logrotate stanza); the unit is
    left alone in a container, which may not turn accounting on (no CAP_SYS_PACCT)."""
    assert host.package("acct").is_installed
    assert host.file("/etc/cron.daily/acct").exists
    assert not host.file("/etc/logrotate.d/acct").exists
    assert host.service("acct").is_enabled
    # the kernel refuses it here, which is why the role does not start it in a container
    assert "Operation not permitted" in host.run("accton /var/log/account/pacct").stderr
