"""The whole hardened state on a real kernel, after drift and repair (controls: docs/controls.md)."""


def test_selinux_enforcing(host):  # NIST AC-3; CIS 1.6.1.4
    assert host.run("getenforce").stdout.strip() == "Enforcing"
    assert "SELINUX=enforcing" in host.file("/etc/selinux/config").content_string


def test_auditd_running_with_rules(host):  # NIST AU-12
    assert host.service("auditd").is_running
    rules = host.run("auditctl -l").stdout
    for key in ("identity", "scope", "sshd_config", "time-change", "modules", "MAC-policy", "privileged"):
        assert f"-k {key}" in rules or f"key={key}" in rules, key
    assert "-w /etc/passwd -p wa -k identity" in rules  # the deleted rule is back


def test_identity_change_was_audited(host):  # NIST AU-2
    out = host.run("ausearch --input-logs -k identity -i")  # without --input-logs it reads stdin when not on a tty
    assert out.rc == 0 and "usermod" in out.stdout


def test_aide_reported_the_tampered_file(host):  # NIST SI-7
    log = host.file("/var/log/aide/aide-check.log").content_string
    assert "aide-check result=changes" in log and "/etc/passwd" in log


def test_clamav_detected_eicar_with_mirrored_signatures(host):  # NIST SI-3
    log = host.file("/var/log/clamav/scan.log").content_string
    assert "clamav-detection path=/root/eicar.com signature=Eks-Lab.Eicar-Test-Signature" in log
    assert host.file("/var/lib/clamav/eks-lab-eicar.hdb").exists


def test_sshd_restored(host):  # NIST AC-17
    cfg = host.run("sshd -T -C user=root,host=localhost,addr=127.0.0.1").stdout.lower()
    assert "permitrootlogin without-password" in cfg and "passwordauthentication no" in cfg


def test_firewall_ruleset_loaded(host):  # NIST SC-7; CIS 3.5
    rules = host.run("nft list ruleset").stdout
    assert "policy drop" in rules and "10.0.2.2" in rules and "dport 22" in rules


def test_sysctl_live_values(host):  # NIST SC-7; CIS 3.2/3.3
    assert host.sysctl("net.ipv4.conf.all.accept_redirects") == 0
    assert host.sysctl("net.ipv4.ip_forward") == 0
    assert host.sysctl("kernel.kptr_restrict") == 2


def test_fluentd_pipeline_configured(host):  # NIST AU-4, AU-9 (daemon: see molecule/fluentd)
    conf = host.file("/etc/fluent/fluentd.conf").content_string
    assert "/var/log/audit/audit.log" in conf and "@type cloudwatch_logs" in conf
