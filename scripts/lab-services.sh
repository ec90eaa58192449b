#!/usr/bin/env bash
# Starts what the lab needs on this machine (idempotent): the Docker daemon (if none runs), the
# lab's egress proxy (a Squid container made by the egress_proxy role), the ClamAV mirror behind
# it and the AWS emulator. `eks-lab down` stops all of it.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
"$REPO/.venv/bin/eks-lab" up >/dev/null
echo "== lab services: dockerd $(docker version --format '{{.Server.Version}}'), egress proxy (Squid) on :3142, AWS emulator (eks-lab down stops them)"
