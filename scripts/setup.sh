#!/usr/bin/env bash
# One command on a fresh Debian 12 machine: install everything, start the local lab and run
# site.yml against it.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
bash scripts/install.sh
# shellcheck disable=SC1091
. .venv/bin/activate
bash scripts/lab-services.sh
eks-lab pki ensure >/dev/null
eks-lab aws up
ansible-playbook site.yml -i inventories/lab "$@"
