#!/usr/bin/env bash
# The whole test suite: lint, sanity, unit tests, integration tests on the local lab.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
bash scripts/install.sh
# shellcheck disable=SC1091
. .venv/bin/activate
export ANSIBLE_NOCOLOR=1 PY_COLORS=0

# The lab VM image (debootstrap from Debian's archive, about 4 min, much of it waiting on the network)
# is built in the background of the checks, and waited for before pytest: beside the first part's two
# workers it competes for the cores and the disk (the likely cause of part 1's 31 min on the CI
# machine in stop 24, 23.6 min here).
build_pid=""
if eks-lab vm check >/dev/null 2>&1; then
    mkdir -p .lab
    eks-lab vm build > .lab/vm-build.log 2>&1 &
    build_pid=$!
fi

echo "== role READMEs generated from argument specs are fresh"
python scripts/role_docs.py --check

echo "== ansible-lint (production profile)"
ansible-lint --nocolor -f pep8

echo "== ansible-test sanity"
bash scripts/sanity.sh

echo "== changelog fragments (antsibull-changelog)"
antsibull-changelog lint

bash scripts/lab-services.sh

if [ -n "$build_pid" ] && ! wait "$build_pid"; then
    echo "the lab VM image build failed (.lab/vm-build.log); the end-to-end part tries again:"; tail -20 .lab/vm-build.log
fi

# Two parts. The files that need no VM run two at a time (pytest-xdist, a file per worker, each
# worker with an emulator of its own): a playbook against the emulator leaves a core idle while it
# waits on retries and polls. The VMs then have both cores to themselves. Three workers were
# slower (2026-12-06: part 1 in 26.5 min against 24.2 with two): the cores were busy 96% of the
# time, and every file took a quarter to a half longer.
rc=0
echo "== pytest 1/2: unit, integration (moto), release (built tarball), molecule scenarios (containers) - two files at a time"
python -m pytest -ra -n 2 --dist loadfile tests/unit tests/integration tests/release tests/molecule "$@" || rc=$?
echo "== pytest 2/2: end to end (lab VMs)"
python -m pytest -ra tests/e2e "$@" || rc=$?
exit "$rc"
