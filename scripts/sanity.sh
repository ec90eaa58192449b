#!/usr/bin/env bash
# ansible-test sanity on the collection's plugins, in a copy laid out as ansible_collections/NS/NAME.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
PY=${EKS_SANITY_PYTHON:-$("$REPO/.venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
DEST="$WORK/ansible_collections/devsecops/eks_platform"
mkdir -p "$DEST"
(cd "$REPO" && git ls-files -co --exclude-standard | grep -v '^collections/' | tar -cf - -T - ) | tar -xf - -C "$DEST"
# ansible-test bootstraps pip in its venvs with a script from a host we cannot reach:
# give it a stand-in that uses ensurepip + the package index.
PIP_VERSION=$("$REPO/.venv/bin/python" - <<'PYEOF'
import re, ansible_test, pathlib
src = (pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py").read_text()
print(re.search(r"pip='([0-9.]+)'", src).group(1))
PYEOF
)
# Collections our plugins import or use doc fragments from, beside ours as ansible-test expects.
SITE=$("$REPO/.venv/bin/python" -c 'import ansible_collections.amazon.aws, os; print(os.path.dirname(os.path.dirname(ansible_collections.amazon.aws.__path__[0])))')
for ns in amazon community ansible; do ln -s "$SITE/$ns" "$WORK/ansible_collections/$ns"; done
mkdir -p ~/.ansible/test/cache
cp "$REPO/scripts/ansible-test-get-pip.py" ~/.ansible/test/cache/"get_pip_${PIP_VERSION//./_}.py"
cd "$DEST"
git init -q . && git add -A >/dev/null 2>&1 && git -c user.email=ci@localhost -c user.name=ci commit -qm sanity >/dev/null
"$REPO/.venv/bin/ansible-test" sanity --venv --python "$PY" --color no "$@"
