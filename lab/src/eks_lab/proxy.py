"""Lifecycle of the lab package proxy + ClamAV mirror (eks_lab.pkgproxy)."""
from __future__ import annotations

import os

from . import procs

DEFAULT_PORT = int(os.environ.get("EKS_LAB_PROXY_PORT", "3142"))


def _alive(port: int) -> bool:
    return procs.http_ok(f"http://127.0.0.1:{port}/clamav/eks-lab-eicar.hdb")


def status(port: int = DEFAULT_PORT) -> dict:
    return {"url": f"http://127.0.0.1:{port}", "running": _alive(port), "pid": procs.pid(f"pkgproxy-{port}")}


def up(port: int = DEFAULT_PORT) -> dict:
    started = procs.start(f"pkgproxy-{port}", ["eks_lab.pkgproxy", "--port", str(port)], lambda: _alive(port))
    return status(port) | {"started": started}


def down(port: int = DEFAULT_PORT) -> dict:
    return {"stopped": procs.stop(f"pkgproxy-{port}", lambda: _alive(port)), "running": _alive(port)}
