#!/usr/bin/env bash
# One command on a fresh Debian 12 machine: install everything, start the local lab and run
# site.yml (the lab's, lab/playbooks/site.yml) against it.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
bash scripts/install.sh
# shellcheck disable=SC1091
. .venv/bin/activate
bash scripts/lab-services.sh
eks-lab pki ensure >/dev/null
ansible-playbook lab/playbooks/site.yml -i inventories/lab "$@"
echo "== the lab keeps running for more runs; eks-lab down stops everything it started"
