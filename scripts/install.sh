#!/usr/bin/env bash
# Installs what the collection's controller, lab and tests need on a fresh Debian 12 machine:
# apt packages and a virtualenv (.venv) on the newest Python available.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"

APT_PACKAGES=(git python3-venv openssh-client shellcheck
  # nft checks the firewall rulesets the baseline role renders (tests/integration)
  nftables
  # lab hosts: debootstrap images, systemd containers, qemu VMs, the guests' proxy relay
  debootstrap docker.io qemu-system-x86 qemu-utils e2fsprogs netcat-openbsd
  # the architecture diagram (playbooks/diagram.yml renders with dot)
  graphviz)
# Extra packages (space separated) from the caller, e.g. the lab image builders.
read -r -a EXTRA <<< "${EKS_LAB_EXTRA_APT:-}"
APT_PACKAGES+=("${EXTRA[@]}")
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== apt: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Newest Python on the machine (pyenv's 3.13/3.12 where present, else Debian's 3.11).
# (pyenv shims answer `command -v` for versions they cannot run, so each candidate is tried.)
pick_python() {
  local v c
  for v in 3.14 3.13 3.12 3.11; do
    for c in "$HOME"/.pyenv/versions/"$v".*/bin/python "$(command -v "python$v" 2>/dev/null)"; do
      [ -n "$c" ] && [ -x "$c" ] && "$c" -c 'import venv' >/dev/null 2>&1 && { echo "$c"; return; }
    done
  done
  command -v python3
}
PY=${EKS_PYTHON:-$(pick_python)}

if [ -L .venv ] || [ ! -x .venv/bin/python ]; then
  [ -L .venv ] && rm .venv
  echo "== venv: $("$PY" --version) at .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.eks-requirements.sha
want=$(cat requirements.txt lab/pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "== pip: requirements.txt and the lab package"
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt -e lab
  echo "$want" > "$stamp"
fi

# awx.awx (playbooks/awx_configure.yml): the `ansible` package stopped bundling it after 12.x,
# and Galaxy is unreachable here; take it from the ansible 12.3.0 wheel on the package index.
AWX_DIR=collections/ansible_collections/awx/awx
if [ ! -f "$AWX_DIR/MANIFEST.json" ]; then
  echo "== awx.awx from the ansible 12.3.0 wheel"
  tmp=$(mktemp -d)
  .venv/bin/python -m pip download -q --disable-pip-version-check --no-deps ansible==12.3.0 -d "$tmp"
  .venv/bin/python - "$tmp"/ansible-12.3.0-py3-none-any.whl "$AWX_DIR" <<'PYEOF'
import sys, zipfile, pathlib
whl, dest = sys.argv[1], pathlib.Path(sys.argv[2])
prefix = "ansible_collections/awx/awx/"
with zipfile.ZipFile(whl) as z:
    for name in z.namelist():
        if name.startswith(prefix) and not name.endswith("/"):
            out = dest / name[len(prefix):]
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(z.read(name))
PYEOF
  rm -rf "$tmp"
fi

# promtool (tests/unit/test_eks_manifests.py checks the CloudWatch agent's Prometheus scrape
# config with it): only the binary out of Debian's prometheus package, so no server is installed.
if [ ! -x .venv/bin/promtool ]; then
  echo "== promtool from Debian's prometheus package"
  tmp=$(mktemp -d) && chmod 777 "$tmp"  # apt's _apt user downloads into it
  (cd "$tmp" && { apt-get download -qq prometheus >/dev/null 2>&1 || { apt-get update -qq && apt-get download -qq prometheus >/dev/null; }; })
  dpkg-deb --fsys-tarfile "$tmp"/prometheus_*.deb | tar -x -C "$tmp" ./usr/bin/promtool
  mv "$tmp"/usr/bin/promtool .venv/bin/promtool
  rm -rf "$tmp"
fi

# The release checks' own toolchain (tests/release): ansible-core without bundled collections.
rstamp=.venv-release/.eks-requirements.sha
rwant=$(sha256sum tests/release/requirements.txt | cut -d' ' -f1)
if [ "$(cat "$rstamp" 2>/dev/null)" != "$rwant" ]; then
  echo "== venv for the release checks at .venv-release"
  rm -rf .venv-release
  "$PY" -m venv .venv-release
  .venv-release/bin/python -m pip install -q --disable-pip-version-check -r tests/release/requirements.txt
  echo "$rwant" > "$rstamp"
fi
.venv/bin/ansible --version | sed -n 1p
