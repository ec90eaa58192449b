#!/usr/bin/env bash
# Starts what the lab needs on this machine (idempotent): the Docker daemon and the lab's
# package proxy + ClamAV mirror. The moto server is started by whoever uses it.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$REPO/.lab"
if ! docker info >/dev/null 2>&1; then
  echo "== starting dockerd"
  (setsid dockerd >"$REPO/.lab/dockerd.log" 2>&1 &)
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { echo "dockerd did not start; see .lab/dockerd.log" >&2; exit 1; }
fi
"$REPO/.venv/bin/eks-lab" proxy up >/dev/null
echo "== lab services: dockerd $(docker version --format '{{.Server.Version}}'), package proxy on :3142"
