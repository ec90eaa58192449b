#!/usr/bin/env python
"""Provisioning benchmark on the local AWS emulator.

For 3 and 2 AZs: time of the first run of playbooks/provision.yml, of the no-op rerun (the
fingerprint matches, the roles are skipped), of a forced full rerun (every role runs and finds
nothing to do: eks_platform_provision_full_run=true), and the AWS API calls each made (counted at
the emulator). Prints numbers; asserts nothing.
Targets (issue 10, design goals, not tests): no-op rerun <= 30% of the first run, < 20 s,
<= 60 AWS API calls.

    .venv/bin/python benchmarks/provision.py [--azs 3 2] [--eks]
    .venv/bin/python benchmarks/provision.py --regions [--azs 2]

--eks adds the EKS cluster (eks_platform_eks_enabled=true: the eks role, the private cluster's
endpoints, and the fingerprint's EKS reads).

--regions: the first run of provision.yml then edge.yml (the load balancer) for one region
(us-east-1) and for two (us-east-1 and us-west-2 through eks_platform_regions, in parallel), their
wall times, API calls and ratio. Target (issue 12): two regions at most 1.3x one region's wall time.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "lab" / "src"))
from eks_lab import aws, pki  # noqa: E402

PORT = int(os.environ.get("EKS_BENCH_MOTO_PORT", "5088"))


def play(name: str, *extra: str) -> tuple[float, int, str]:
    env = dict(os.environ, EKS_LAB_MOTO_PORT=str(PORT), ANSIBLE_NOCOLOR="1",
               PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    env.pop("AWS_ENDPOINT_URL", None)
    before = aws.call_count(PORT)
    t0 = time.monotonic()
    proc = subprocess.run(["ansible-playbook", "-i", "inventories/lab", f"playbooks/{name}", *extra],
                          cwd=REPO, env=env, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - t0
    if proc.returncode:
        # the failed tasks themselves (a parallel run's failure is far above the tail), then the tail
        lines = proc.stdout.splitlines()
        failed = [line for i, line in enumerate(lines) if any(k in "\n".join(lines[max(0, i - 3):i + 1]) for k in ("fatal:", "FAILED!"))]
        sys.exit(f"{name} failed:\n" + "\n".join(failed[:60]) + f"\n...\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    recap = [line for line in proc.stdout.splitlines() if line.startswith("localhost")]
    return elapsed, aws.call_count(PORT) - before, recap[-1] if recap else ""


# Targets in each region's own App VPC (the second region's plan is 10.70.0.0/16).
EDGE = ('{"eks_platform_edge_enabled": true, '
        '"edge_targets": "{{ [\'10.30.128.10\'] if eks_platform_region == \'us-east-1\' else [\'10.70.128.10\'] }}", '
        '"edge_certificate": "{{ client_vpn_server_certificate }}", "edge_certificate_private_key": "{{ client_vpn_server_private_key }}", '
        '"edge_certificate_chain": "{{ client_vpn_server_certificate_chain }}"}')


def regions(azs: int) -> None:
    """One region, then two in one run: provision.yml + edge.yml, first run."""
    print(f"{'regions':>8} {'AZs':>4} {'provision s':>12} {'edge s':>7} {'total s':>8} {'calls':>6}")
    totals = {}
    for names in (["us-east-1"], ["us-east-1", "us-west-2"]):
        aws.reset(PORT)
        extra = ("-e", f"eks_platform_az_count={azs}", "-e", '{"eks_platform_regions": %s}' % str(names).replace("'", '"'),
                 "-e", EDGE)
        provision, provision_calls, _recap = play("provision.yml", *extra)
        edge, edge_calls, _recap = play("edge.yml", *extra)
        totals[len(names)] = provision + edge
        print(f"{len(names):>8} {azs:>4} {provision:>12.1f} {edge:>7.1f} {provision + edge:>8.1f} {provision_calls + edge_calls:>6}",
              flush=True)
        play("teardown.yml", *extra, "-e", "teardown_confirm=eksplat-lab")
    print(f"two regions / one region: {totals[2] / totals[1]:.2f}x wall time (target <= 1.3x, on {os.cpu_count()} cores)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--azs", type=int, nargs="+", default=[3, 2])
    ap.add_argument("--eks", action="store_true", help="with the EKS cluster")
    ap.add_argument("--regions", action="store_true", help="one region, then two in one run")
    args = ap.parse_args()
    pki.ensure()
    aws.down(PORT)
    aws.up(PORT)
    if args.regions:
        try:
            regions(args.azs[0] if args.azs != [3, 2] else 2)
        finally:
            aws.down(PORT)
        return
    try:
        print(f"{'AZs':>4} {'first run s':>12} {'calls':>6} {'no-op s':>8} {'calls':>6} {'no-op/first':>12} "
              f"{'roles rerun s':>14} {'calls':>6}  no-op recap")
        for azs in args.azs:
            aws.reset(PORT)
            az = f"eks_platform_az_count={azs}"
            eks = ("-e", f"eks_platform_eks_enabled={str(args.eks).lower()}")
            first, first_calls, _recap = play("provision.yml", "-e", az, *eks)
            full, full_calls, _recap = play("provision.yml", "-e", az, *eks, "-e", "eks_platform_provision_full_run=true")
            rerun, rerun_calls, recap = play("provision.yml", "-e", az, *eks)
            print(f"{azs:>4} {first:>12.1f} {first_calls:>6} {rerun:>8.1f} {rerun_calls:>6} {rerun / first:>11.0%} "
                  f"{full:>14.1f} {full_calls:>6}  {' '.join(recap.split()[2:4])}", flush=True)
            play("teardown.yml", "-e", az, *eks, "-e", "teardown_confirm=eksplat-lab")  # clean slate for the next size
    finally:
        aws.down(PORT)
    print(f"targets: no-op rerun <= 30% of the first run, < 20 s, <= 60 API calls (on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
