"""``eks-lab`` command line: lifecycle of the local lab.

    eks-lab aws up [--faults on|off|iam,peering,eni]|down|status|reset|env|calls
    eks-lab proxy up|down|status
    eks-lab mirror up|down|status
    eks-lab ctr build|up NAME...|down NAME...|ls
    eks-lab vm build|up NAME... [--plain]|down NAME...|ls|check
    eks-lab vm pair FRONT BACK   (two VMs on a private wire; BACK reachable only through FRONT)
    eks-lab pki ensure
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from . import aws


def _print(obj) -> None:
    print(json.dumps(obj, indent=2, sort_keys=True))


def _stdout_to_stderr(fn, *args, **kwargs):
    """Run fn with file descriptor 1 pointed at stderr, so that whatever image builds and
    launchers print cannot mix with the JSON this command prints (callers parse it)."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        return fn(*args, **kwargs)
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="eks-lab", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="area", required=True)

    sub.add_parser("up", help="start the lab's services: dockerd (if none runs), egress proxy + ClamAV mirror, AWS emulator")
    sub.add_parser("down", help="stop everything the lab started: VMs, containers (the proxy too), mirror, emulator, its dockerd")

    pa = sub.add_parser("aws", help="the moto AWS emulator on 127.0.0.1")
    pa.add_argument("action", choices=["up", "down", "status", "reset", "env", "calls"])
    pa.add_argument("--port", type=int, default=aws.DEFAULT_PORT)
    pa.add_argument("--faults", default=None,
                    help="real-AWS faults to inject (eks_lab.faults): on (default), off, or e.g. iam,eni")

    px = sub.add_parser("proxy", help="the egress proxy lab guests use (a Squid container made by the squid role)")
    px.add_argument("action", choices=["up", "down", "status"])
    px.add_argument("--port", type=int, default=None)

    pm = sub.add_parser("mirror", help="the lab's ClamAV signature mirror, reached through the proxy")
    pm.add_argument("action", choices=["up", "down", "status"])
    pm.add_argument("--port", type=int, default=None)

    pc = sub.add_parser("ctr", help="lab systemd containers")
    pc.add_argument("action", choices=["build", "up", "down", "ls"])
    pc.add_argument("names", nargs="*")

    pv = sub.add_parser("vm", help="lab VMs (qemu, SELinux-capable Debian 12)")
    pv.add_argument("action", choices=["build", "up", "pair", "down", "ls", "check"])
    pv.add_argument("names", nargs="*")
    pv.add_argument("--plain", action="store_true",
                    help="up: the stock-image disk (no SELinux labels or kernel arguments), booted through GRUB")

    pp = sub.add_parser("pki", help="create (once) the lab PKI used by the Client VPN role")
    pp.add_argument("action", choices=["ensure"])

    args = p.parse_args(argv)
    if args.area in ("up", "down"):
        from . import services
        _print(getattr(services, args.area)())
        return 0
    if args.area == "proxy":
        from . import proxy
        port = args.port or proxy.DEFAULT_PORT
        st = getattr(proxy, args.action)(port)
        _print(st)
        return 0 if st["running"] or args.action == "down" else 3
    if args.area == "mirror":
        from . import mirror
        st = getattr(mirror, args.action)(mirror.default_bind(), args.port or mirror.DEFAULT_PORT)
        _print(st)
        return 0 if st["running"] or args.action == "down" else 3
    if args.area == "ctr":
        from . import containers, images
        if args.action == "build":
            print(_stdout_to_stderr(images.container_image))
        elif args.action == "ls":
            print("\n".join(containers.ls()))
        else:
            _print([_stdout_to_stderr(getattr(containers, args.action), n) for n in args.names])
        return 0
    if args.area == "vm":
        from . import vm
        if args.action == "check":
            reason = vm.unavailable_reason()
            print(reason or "ok")
            return 3 if reason else 0
        if args.action == "build":
            _print(_stdout_to_stderr(vm.base_image))
        elif args.action == "ls":
            _print(vm.ls())
        elif args.action == "pair":
            if len(args.names) != 2:
                p.error("vm pair takes two names: FRONT BACK")
            _print(_stdout_to_stderr(vm.pair, *args.names))
        elif args.action == "up":
            _print([_stdout_to_stderr(vm.up, n, plain=args.plain) for n in args.names])
        else:
            _print([_stdout_to_stderr(getattr(vm, args.action), n) for n in args.names])
        return 0
    if args.area == "pki":
        from . import pki
        _print(pki.ensure())
        return 0
    if args.area == "aws":
        if args.action == "up":
            _print(aws.up(args.port, faults=args.faults))
        elif args.action == "down":
            _print(aws.down(args.port))
        elif args.action == "status":
            st = aws.status(args.port)
            _print(st)
            return 0 if st["running"] else 3
        elif args.action == "reset":
            aws.reset(args.port)
        elif args.action == "env":
            for k, v in aws.env(args.port).items():
                print(f"export {k}={v}")
        elif args.action == "calls":
            print(aws.call_count(args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
