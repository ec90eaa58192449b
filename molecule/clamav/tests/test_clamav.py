"""ClamAV: signatures from the lab mirror, clamd running, scheduled scans, EICAR detected (NIST SI-3)."""


def test_signatures_came_from_the_private_mirror_through_the_egress_proxy(host):
    assert host.file("/var/lib/clamav/eks-lab-eicar.hdb").exists
    conf = host.file("/etc/clamav/freshclam.conf").content_string
    assert "DatabaseCustomURL http://" in conf and "/eks-lab-eicar.hdb" in conf
    assert "ExcludeDatabase daily" in conf
    # The container reaches the mirror only through the lab's egress proxy (Squid), like a host in AWS.
    assert "HTTPProxyServer " in conf and "HTTPProxyPort 3142" in conf
    # host_audit's signature-age check reads freshclam's own log (custom databases only): a run is
    # logged with its start time, and this one ended without an error
    log = host.file("/var/log/clamav/freshclam.log").content_string
    last_run = log.rsplit("ClamAV update process started at ", 1)[1]
    assert "eks-lab-eicar.hdb is up-to-date" in last_run and "ERROR" not in last_run, log[-2000:]


def test_clamd_running_again_after_drift(host):
    assert host.service("clamav-daemon").is_running
    # one copy of the signatures in memory during a reload (two need ~2.4 GiB with the official ones)
    assert "ConcurrentDatabaseReload no" in host.file("/etc/clamav/clamd.conf").content_string
    assert host.service("clamav-freshclam").is_running
    socket = host.file("/var/run/clamav/clamd.ctl")
    assert socket.is_socket and socket.mode == 0o660 and socket.group == "clamav"
    # and where systemd holds the socket (the official databases present), its unit says the same
    assert host.run("systemctl show -p SocketMode clamav-daemon.socket").stdout.strip() == "SocketMode=0660"


def test_scans_scheduled_four_times_a_day_at_low_priority(host):
    assert host.service("eks-clamav-scan.timer").is_enabled
    assert "OnCalendar=*-*-* 01,07,13,19:30:00" in host.file("/etc/systemd/system/eks-clamav-scan.timer").content_string
    assert "nice -n 19 ionice -c3" in host.file("/usr/local/sbin/eks-clamav-scan").content_string


def test_scheduled_scan_detects_and_logs_eicar(host):
    assert host.run("systemctl start eks-clamav-scan.service").rc == 0
    log = host.file("/var/log/clamav/scan.log").content_string
    assert "clamav-detection path=/tmp/eicar.com signature=Eks-Lab.Eicar-Test-Signature" in log
    assert "clamav-scan result=ok" in log


def test_scan_log_rotated(host):  # NIST AU-4
    conf = host.file("/etc/logrotate.d/eks-platform-clamav").content_string
    assert "/var/log/clamav/scan.log {" in conf and "rotate 13" in conf
    if host.exists("logrotate"):  # the baseline role installs it; this scenario runs clamav alone
        assert host.run("logrotate --debug /etc/logrotate.d/eks-platform-clamav").rc == 0
