"""The lab's private ClamAV signature mirror: a static web server for one custom database that
detects the EICAR test file. Guests fetch it through the lab's egress proxy (Squid), as hosts in
AWS fetch the ClamAV CDN through theirs; it listens on the docker bridge gateway, where the
proxy container sees this machine.

    python -m eks_lab.mirror --bind 172.17.0.1 --port 3143
"""
from __future__ import annotations

import argparse
import functools
import hashlib
import http.server
import os

from . import STATE_DIR, containers, procs

MIRROR = STATE_DIR / "clamav-mirror"
DEFAULT_PORT = int(os.environ.get("EKS_LAB_MIRROR_PORT", "3143"))
DATABASE = "eks-lab-eicar.hdb"
# The EICAR test string, built in pieces so that this file itself is not a detection.
EICAR = ("X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*").encode()


def default_bind() -> str:
    """Where the proxy container sees this machine: the docker bridge gateway (127.0.0.1 without docker)."""
    return os.environ.get("EKS_LAB_MIRROR_BIND") or (containers.gateway() if containers.docker_ok() else "127.0.0.1")


def build() -> None:
    """A custom signature database (.hdb: md5:size:name), as `sigtool --md5` would write it."""
    MIRROR.mkdir(parents=True, exist_ok=True)
    (MIRROR / DATABASE).write_text(
        "%s:%d:Eks-Lab.Eicar-Test-Signature\n" % (hashlib.md5(EICAR).hexdigest(), len(EICAR)))


def url(bind: str, port: int = DEFAULT_PORT) -> str:
    return f"http://{bind}:{port}/{DATABASE}"


def status(bind: str, port: int = DEFAULT_PORT) -> dict:
    return {"url": url(bind, port), "running": procs.http_ok(url(bind, port)), "pid": procs.pid(f"mirror-{port}")}


def up(bind: str, port: int = DEFAULT_PORT) -> dict:
    started = procs.start(f"mirror-{port}", ["eks_lab.mirror", "--bind", bind, "--port", str(port)],
                          lambda: procs.http_ok(url(bind, port)))
    return status(bind, port) | {"started": started}


def down(bind: str, port: int = DEFAULT_PORT) -> dict:
    return {"stopped": procs.stop(f"mirror-{port}", lambda: procs.http_ok(url(bind, port))),
            "running": procs.http_ok(url(bind, port))}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, fmt, *args):
        with open(STATE_DIR / "mirror-access.log", "a", encoding="utf-8") as log:
            log.write("%s %s\n" % (self.address_string(), fmt % args))


def main() -> None:
    ap = argparse.ArgumentParser(description="lab ClamAV mirror")
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = ap.parse_args()
    build()
    handler = functools.partial(_Quiet, directory=str(MIRROR))
    http.server.ThreadingHTTPServer((args.bind, args.port), handler).serve_forever()


if __name__ == "__main__":
    main()
