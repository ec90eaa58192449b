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

echo "== changelog fragments (antsibull-changelog)"
antsibull-changelog lint

bash scripts/lab-services.sh

echo "== pytest: unit, integration (moto), release (built tarball), molecule scenarios, end to end"
python -m pytest -ra tests "$@"
