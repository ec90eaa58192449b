"""host_units against a stand-in systemctl that keeps the units' state in a file (this machine's
init is not systemd; the hardening scenarios run the module against real systemd on the lab VMs):
one show for every unit, one call per action, check mode, diff, and the failures it names."""
from __future__ import annotations

import json
import os
import stat
import sys

import pytest

from ansible_collections.devsecops.eks_platform.plugins.modules import host_units

from modrun import run_module

FAKE_SYSTEMCTL = r'''#!{python}
import json, os, sys
state_file, log_file = os.environ["FAKE_UNITS"], os.environ["FAKE_LOG"]
units = json.load(open(state_file))
args = sys.argv[1:]
with open(log_file, "a") as log:
    log.write(" ".join(args) + "\n")
names = [a for a in args[1:] if not a.startswith("-")]
if args[0] == "daemon-reload":
    sys.exit(0)
if args[0] == "show":
    props = args[1].split("=", 1)[1].split(",")
    blocks = []
    for name in names:
        unit = units.get(name, {{"LoadState": "not-found", "UnitFileState": "", "ActiveState": "inactive"}})
        blocks.append("\n".join("%s=%s" % (p, name if p == "Id" else unit[p]) for p in props))
    print("\n\n".join(blocks))
    sys.exit(0)
for name in names:
    unit = units[name]
    if args[0] == "start" and unit.get("fails"):
        sys.stderr.write("Job for %s failed because the control process exited with error code.\n" % name)
        sys.exit(1)
    key, value = {{"enable": ("UnitFileState", "enabled"), "disable": ("UnitFileState", "disabled"),
                  "start": ("ActiveState", "active"), "stop": ("ActiveState", "inactive")}}[args[0]]
    unit[key] = value
json.dump(units, open(state_file, "w"))
'''


@pytest.fixture
def systemd(tmp_path, monkeypatch):
    """Returns (units, calls): write units with units(dict), read them back with units(), and
    the systemctl calls made so far with calls()."""
    bindir, state, log = tmp_path / "bin", tmp_path / "units.json", tmp_path / "calls.log"
    bindir.mkdir()
    fake = bindir / "systemctl"
    fake.write_text(FAKE_SYSTEMCTL.format(python=sys.executable))
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", "%s%s%s" % (bindir, os.pathsep, os.environ["PATH"]))
    monkeypatch.setenv("FAKE_UNITS", str(state))
    monkeypatch.setenv("FAKE_LOG", str(log))
    log.write_text("")

    def units(value=None):
        if value is not None:
            state.write_text(json.dumps(value))
        return json.loads(state.read_text())

    def calls():
        return [line.split(" ")[0] + " " + " ".join(a for a in line.split(" ")[1:] if not a.startswith("-"))
                for line in log.read_text().splitlines()]
    return units, calls


def _unit(file_state, active, load="loaded", **extra):
    return dict({"LoadState": load, "UnitFileState": file_state, "ActiveState": active}, **extra)


def test_one_show_and_one_call_per_action_then_nothing(systemd):
    units, calls = systemd
    units({"nftables.service": _unit("disabled", "inactive"),
           "chrony.service": _unit("enabled", "failed"),
           "eks-scan.timer": _unit("disabled", "inactive"),
           "tmp.mount": _unit("static", "inactive"),
           "cups.service": _unit("enabled", "active")})
    wanted = [{"name": "nftables.service", "enabled": True},
              {"name": "chrony.service", "enabled": True, "state": "started"},
              {"name": "eks-scan.timer", "enabled": True, "state": "started"},
              {"name": "tmp.mount", "enabled": True},
              {"name": "cups.service", "enabled": False, "state": "stopped"}]
    first = run_module(host_units.main, {"units": wanted})
    assert first["changed"] is True
    assert first["changed_units"] == ["nftables.service", "chrony.service", "eks-scan.timer", "cups.service"]
    assert [u["changes"] for u in first["units"]] == [["enabled"], ["started"], ["enabled", "started"], [],
                                                      ["disabled", "stopped"]]
    assert calls() == ["show nftables.service chrony.service eks-scan.timer tmp.mount cups.service",
                       "disable cups.service", "stop cups.service",
                       "enable nftables.service eks-scan.timer", "start chrony.service eks-scan.timer"]
    after = units()
    assert after["nftables.service"]["ActiveState"] == "inactive"  # only enabled was asked
    assert after["cups.service"] == _unit("disabled", "inactive")
    again = run_module(host_units.main, {"units": wanted, "daemon_reload": True})
    assert again["changed"] is False and again["changed_units"] == [] and again["diff"] == []
    assert calls()[5:] == ["daemon-reload ", "show nftables.service chrony.service eks-scan.timer tmp.mount cups.service"]


def test_check_mode_reports_and_diffs_without_calling_any_action(systemd):
    units, calls = systemd
    units({"auditd.service": _unit("disabled", "inactive")})
    res = run_module(host_units.main, {"units": [{"name": "auditd.service", "enabled": True, "state": "started"}],
                                       "daemon_reload": True, "_ansible_check_mode": True, "_ansible_diff": True})
    assert res["changed"] is True and res["changed_units"] == ["auditd.service"]
    assert res["diff"] == [{"before_header": "auditd.service", "after_header": "auditd.service",
                            "before": {"enabled": "disabled", "active": "inactive"},
                            "after": {"enabled": "enabled", "active": "active"}}]
    assert calls() == ["show auditd.service"]
    assert units()["auditd.service"] == _unit("disabled", "inactive")


def test_unknown_and_masked_units_fail_only_when_they_should_run(systemd):
    units, calls = systemd
    units({"acct.service": _unit("disabled", "inactive"), "clamav-daemon.service": _unit("masked", "inactive", load="masked")})
    res = run_module(host_units.main, {"units": [{"name": "acct.service", "enabled": True},
                                                 {"name": "eks-missing.timer", "state": "started"},
                                                 {"name": "clamav-daemon.service", "state": "started"}]})
    assert res["failed"] is True
    assert "eks-missing.timer: systemd does not know this unit" in res["msg"]
    assert "clamav-daemon.service is masked" in res["msg"] and "acct.service" not in res["msg"]
    assert calls() == ["show acct.service eks-missing.timer clamav-daemon.service"]
    off = run_module(host_units.main, {"units": [{"name": "clamav-daemon.service", "enabled": False, "state": "stopped"},
                                                 {"name": "eks-missing.timer", "enabled": False, "state": "stopped"}]})
    assert not off.get("failed") and off["changed"] is False  # off already: nothing to do, nothing to fail


def test_a_failing_start_fails_with_systemctls_words(systemd):
    units, _calls = systemd
    units({"clamav-daemon.service": _unit("enabled", "inactive", fails=True)})
    res = run_module(host_units.main, {"units": [{"name": "clamav-daemon.service", "state": "started"}]})
    assert res["failed"] is True and res["rc"] == 1
    assert "systemctl start -- clamav-daemon.service failed (rc 1): Job for clamav-daemon.service failed" in res["msg"]


def test_a_unit_listed_twice_is_refused(systemd):
    _units, calls = systemd
    res = run_module(host_units.main, {"units": [{"name": "a.service", "enabled": True}, {"name": "a.service", "state": "started"}]})
    assert res["failed"] is True and res["msg"] == "a unit is listed twice: a.service" and calls() == []
