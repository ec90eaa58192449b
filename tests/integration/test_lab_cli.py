"""`eks-lab down` stops everything the lab started, and nothing it did not start. Run in a lab
state directory and on ports of its own, with no docker on PATH, so the suite's own lab (the
proxy, emulator and containers other tests use) is never touched."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _alive(proc: subprocess.Popen) -> bool:
    return proc.poll() is None


def test_down_stops_the_lab_services_and_only_its_own_dockerd(tmp_path):
    env = dict(os.environ, EKS_LAB_STATE=str(tmp_path), EKS_LAB_MOTO_PORT=str(_free_port()),
               EKS_LAB_MIRROR_PORT=str(_free_port()), PATH=str(BIN))  # no docker: the suite's containers stay

    def lab(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(BIN / "eks-lab"), *args], env=env, capture_output=True, text=True,
                              timeout=120, check=False)

    assert lab("aws", "up").returncode == 0
    assert lab("mirror", "up").returncode == 0
    assert lab("aws", "status").returncode == 0 and lab("mirror", "status").returncode == 0
    # The emulator injects every real-AWS fault unless told otherwise.
    assert json.loads(lab("aws", "status").stdout)["faults"] == ["eni", "iam", "peering"]
    # A daemon the lab started (its pid recorded), and a process that merely has a stale pidfile's number.
    ours = subprocess.Popen(["bash", "-c", "exec -a dockerd sleep 300"])
    stranger = subprocess.Popen(["sleep", "300"])
    try:
        time.sleep(0.3)
        (tmp_path / "dockerd.pid").write_text(str(ours.pid))
        down = lab("down")
        assert down.returncode == 0, down.stderr
        result = json.loads(down.stdout)
        assert result["dockerd_stopped"] is True
        assert lab("aws", "status").returncode != 0, "the emulator is still running"
        assert lab("mirror", "status").returncode != 0, "the ClamAV mirror is still running"
        ours.wait(timeout=10)
        assert not _alive(ours)
        # A pidfile naming a process that is not a dockerd stops nothing.
        (tmp_path / "dockerd.pid").write_text(str(stranger.pid))
        again = json.loads(lab("down").stdout)
        assert again["dockerd_stopped"] is False and _alive(stranger)
    finally:
        for p in (ours, stranger):
            if _alive(p):
                p.kill()


def test_aws_up_takes_the_faults_to_inject(tmp_path):
    port = str(_free_port())
    env = dict(os.environ, EKS_LAB_STATE=str(tmp_path), EKS_LAB_MOTO_PORT=port)

    def lab(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(BIN / "eks-lab"), *args], env=env, capture_output=True, text=True,
                              timeout=120, check=False)

    try:
        assert json.loads(lab("aws", "up", "--faults", "iam,eni").stdout)["faults"] == ["eni", "iam"]
        lab("aws", "down")
        assert json.loads(lab("aws", "up", "--faults", "off").stdout)["faults"] == []
    finally:
        lab("aws", "down")
