"""eks_lab.containers.up with docker scripted: a container left behind stopped is replaced, a
running one is reused (a stopped one made `eks-lab up` wait 90 s and fail: systemd never boots)."""
import subprocess

import pytest

from eks_lab import containers


def _fake_docker(states):
    """docker whose `inspect` answers from `states` (name -> "true"/"false", absent: no such container)."""
    calls = []

    def docker(*args, check=True):
        calls.append(args)
        name = args[-1]
        if args[0] == "inspect":
            if name not in states:
                return subprocess.CompletedProcess(args, 1, "", "No such object")
            return subprocess.CompletedProcess(args, 0, states[name] + "\n", "")
        if args[0] == "rm":
            states.pop(name, None)
        if args[0] == "run":
            states[args[args.index("--name") + 1]] = "true"
        if args[0] == "exec":
            return subprocess.CompletedProcess(args, 0, "running\n", "")
        return subprocess.CompletedProcess(args, 0, "", "")

    return docker, calls


@pytest.fixture
def lab(monkeypatch):
    monkeypatch.setattr(containers, "gateway", lambda: "172.17.0.1")
    monkeypatch.setattr(containers.images, "container_image", lambda: "eks-lab/debian12-systemd:test")

    def install(states):
        docker, calls = _fake_docker(states)
        monkeypatch.setattr(containers, "_docker", docker)
        return calls

    return install


def test_a_container_left_stopped_is_replaced(lab):
    calls = lab({"eks-lab-proxy": "false"})
    assert containers.up("proxy")["state"] == "running"
    verbs = [c[0] for c in calls]
    assert verbs.index("rm") < verbs.index("run")


def test_a_running_container_is_reused(lab):
    calls = lab({"eks-lab-proxy": "true"})
    assert containers.up("proxy")["state"] == "running"
    assert not [c for c in calls if c[0] in ("rm", "run")]
