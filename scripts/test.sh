#!/usr/bin/env bash
# The whole test suite: lint, sanity, unit tests, integration tests on the local lab.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
bash scripts/install.sh
# shellcheck disable=SC1091
. .venv/bin/activate
export ANSIBLE_NOCOLOR=1 PY_COLORS=0

echo "== role READMEs generated from argument specs are fresh"
python scripts/role_docs.py --check

echo "== ansible-lint (production profile)"
ansible-lint --nocolor -f pep8

echo "== ansible-test sanity"
bash scripts/sanity.sh

echo "== collection build (no lab, tests, benchmarks inside)"
tmp=$(mktemp -d)
ansible-galaxy collection build --force --output-path "$tmp" >/dev/null
if tar -tzf "$tmp"/devsecops-eks_platform-*.tar.gz | grep -E '^(lab|tests|benchmarks|scripts|\.ci)/'; then
  echo "collection tarball contains lab/test files" >&2; exit 1
fi
rm -rf "$tmp"

bash scripts/lab-services.sh

echo "== pytest: unit, integration (moto), molecule scenarios (containers, VMs)"
python -m pytest -ra tests "$@"
