"""The egress proxy, as the lab runs it: the lab container eks-lab-proxy, made an allow-listed
Squid by the collection's squid role (playbooks/egress_proxy.yml, the play site.yml runs on the
proxies in AWS). Every request here goes through the real Squid on 127.0.0.1:3142."""
from __future__ import annotations

import http.client
import subprocess
import urllib.error
import urllib.request

import pytest

PROXY_PORT = 3142


def _get(url: str) -> int:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": f"http://127.0.0.1:{PROXY_PORT}"}))
    try:
        with opener.open(url, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def _connect(host: str, port: int) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", PROXY_PORT, timeout=30)
    conn.set_tunnel(host, port)
    try:
        conn.connect()
        return 200
    except OSError as e:  # http.client raises OSError("Tunnel connection failed: 403 Forbidden")
        return int(str(e).split(": ", 1)[1].split()[0])
    finally:
        conn.close()


def _access_log() -> str:
    return subprocess.run(["docker", "exec", "eks-lab-proxy", "cat", "/var/log/squid/access.log"],
                          capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def proxy():
    from eks_lab import proxy as lab_proxy
    if not lab_proxy.status()["running"]:
        pytest.skip("the lab proxy is not running (`eks-lab up` starts it; scripts/test.sh does)")
    return lab_proxy


def test_the_allow_list_passes_and_everything_else_is_refused_and_logged(proxy):
    assert _get("http://deb.debian.org/debian/dists/bookworm/InRelease") == 200
    refused = {
        "http://example.com/": _get("http://example.com/"),
        # the instance metadata service, and the proxy host's own loopback services
        "http://169.254.169.254/latest/meta-data/": _get("http://169.254.169.254/latest/meta-data/"),
        "http://127.0.0.1:3128/": _get("http://127.0.0.1:3128/"),
        # an allow-listed host, on a port that is not
        "http://deb.debian.org:8080/": _get("http://deb.debian.org:8080/"),
    }
    assert set(refused.values()) == {403}, refused
    # CONNECT only to 443 (and, in the lab, the mirror's port for freshclam): never to SSH.
    assert _connect("deb.debian.org", 22) == 403
    log = _access_log()
    for url in refused:
        assert "TCP_DENIED/403" in log and url.rstrip("/") in log, url
    assert "CONNECT deb.debian.org:22" in log


def test_the_role_is_idempotent_and_check_mode_reports_no_change(proxy, playbook):
    again = playbook("egress_proxy.yml")
    assert again.rc == 0, again.out[-3000:]
    assert again.recap["eks-lab-proxy"]["changed"] == 0
    check = playbook("egress_proxy.yml", "--check", "--diff")
    assert check.rc == 0 and check.recap["eks-lab-proxy"]["changed"] == 0, check.out[-3000:]


@pytest.mark.parametrize("extra,needle", [
    ('{"squid_allowed_sources": ["0.0.0.0/0"]}', "squid_allowed_sources must list the client networks"),
    ('{"squid_allowed_sources": []}', "squid_allowed_sources must list the client networks"),
    ('{"squid_allowed_domains": ["https://deb.debian.org/debian"]}', "squid_allowed_domains must list domain names"),
])
def test_bad_input_fails_naming_the_variable_and_changes_nothing(proxy, playbook, extra, needle):
    before = subprocess.run(["docker", "exec", "eks-lab-proxy", "md5sum", "/etc/squid/squid.conf"],
                            capture_output=True, text=True, check=True).stdout
    run = playbook("egress_proxy.yml", "-e", extra)
    assert run.rc != 0 and needle in run.out, run.out[-3000:]
    other = "squid_allowed_domains" if "sources" in needle else "squid_allowed_sources"
    assert other not in run.out[run.out.rfind("fatal:"):run.out.find("PLAY RECAP")]
    after = subprocess.run(["docker", "exec", "eks-lab-proxy", "md5sum", "/etc/squid/squid.conf"],
                           capture_output=True, text=True, check=True).stdout
    assert before == after
