"""Lab host images, built from Debian's archive with debootstrap and cached by a hash of
their recipe: a systemd container image (docker import) and a VM disk (see vm.py)."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path


MIRROR = os.environ.get("EKS_LAB_DEBIAN_MIRROR", "http://deb.debian.org/debian")
# Root filesystems are built outside the checkout: while the VM image builds (in the background of
# the test command) its root has /proc mounted, and ansible-galaxy's build walks the whole checkout.
BUILD_DIR = Path(os.environ.get("EKS_LAB_BUILD_DIR", "/var/tmp/eks-lab-build"))
SUITE = "bookworm"
# Like a stock cloud image: sshd, sudo, python3 - none of the hardening packages.
BASE_PACKAGES = ["systemd", "systemd-sysv", "dbus", "python3", "python3-apt", "ca-certificates", "procps",
                 "iproute2", "openssh-server", "sudo", "less", "cron", "logrotate", "rsyslog", "gnupg", "curl"]
CONTAINER_RECIPE = {"suite": SUITE, "packages": BASE_PACKAGES, "kind": "container", "rev": 1}
SOURCES = f"""deb http://deb.debian.org/debian {SUITE} main
deb http://deb.debian.org/debian {SUITE}-updates main
deb http://deb.debian.org/debian-security {SUITE}-security main
"""


def recipe_hash(recipe: dict) -> str:
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:12]


def debootstrap(target: Path, packages: list[str], security_updates: bool = False) -> None:
    """A minimal Debian root with the given packages, apt lists made old (cache_valid_time).
    security_updates: the security archive's updates applied, as an image pipeline patches an AMI
    (the VM image); without, the root is the point release's and has updates pending (the container
    image, on which Molecule's baseline scenario applies them)."""
    if target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["debootstrap", "--variant=minbase", f"--include={','.join(packages)}", SUITE, str(target), MIRROR],
                   check=True, stdout=subprocess.DEVNULL)
    (target / "etc/apt/sources.list").write_text(SOURCES)
    if security_updates:
        # The archive resolves as it does here (this machine's hosts file and resolver; the root's own
        # hosts file does not know the mirror): found when the first build's update fetched nothing,
        # and apt-get update, which only warns on a failed fetch, upgraded nothing. It must fail now.
        # (the VM's resolv.conf is systemd-resolved's link, dangling in a chroot)
        saved = {}
        for name in ("hosts", "resolv.conf"):
            path = target / "etc" / name
            saved[name] = ("link", os.readlink(path)) if path.is_symlink() else (
                ("file", path.read_bytes()) if path.exists() else (None, None))
            path.unlink(missing_ok=True)
            shutil.copyfile(f"/etc/{name}", path)
        subprocess.run(["mount", "-t", "proc", "proc", str(target / "proc")], check=True)
        try:
            env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
            for cmd in (["apt-get", "update", "-qq", "--error-on=any"], ["apt-get", "dist-upgrade", "-y", "-qq"],
                        ["apt-get", "clean"]):
                subprocess.run(["chroot", str(target), *cmd], check=True, env=env, stdout=subprocess.DEVNULL)
        finally:
            subprocess.run(["umount", str(target / "proc")], check=False)
            for name, (kind, content) in saved.items():
                path = target / "etc" / name
                path.unlink(missing_ok=True)
                if kind == "link":
                    path.symlink_to(content)
                elif kind == "file":
                    path.write_bytes(content)
        for lists in (target / "var/lib/apt/lists").glob("*"):
            if lists.is_file():
                lists.unlink()
    (target / "etc/hostname").write_text("eks-lab\n")
    # apt's cache_valid_time would trust the empty lists of a fresh image: make them old.
    for p in [target / "var/lib/apt/lists", *(target / "var/lib/apt/lists").glob("*")]:
        os.utime(p, (946684800, 946684800))
    (target / "var/lib/apt/periodic").mkdir(parents=True, exist_ok=True)
    stamp = target / "var/lib/apt/periodic/update-success-stamp"
    stamp.touch()
    os.utime(stamp, (946684800, 946684800))
    # No SSH host keys baked into an image; each host generates its own on first boot.
    for key in (target / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    subprocess.run(["chroot", str(target), "systemctl", "enable", "regenerate-ssh-host-keys.service"],
                   check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def container_image() -> str:
    """Build (once per recipe) and return the systemd container image tag."""
    tag = f"eks-lab/debian12-systemd:{recipe_hash(CONTAINER_RECIPE)}"
    if subprocess.run(["docker", "image", "inspect", tag], capture_output=True, check=False).returncode == 0:
        return tag
    root = BUILD_DIR / "container-rootfs"
    debootstrap(root, BASE_PACKAGES)
    # ssh host keys are regenerated at first start by a oneshot unit.
    (root / "etc/systemd/system/regenerate-ssh-host-keys.service").write_text(
        "[Unit]\nDescription=Generate SSH host keys\nConditionPathExists=!/etc/ssh/ssh_host_ed25519_key\n"
        "Before=ssh.service\n[Service]\nType=oneshot\nExecStart=/usr/bin/ssh-keygen -A\n"
        "[Install]\nWantedBy=multi-user.target\n")
    (root / "etc/systemd/system/multi-user.target.wants").mkdir(parents=True, exist_ok=True)
    link = root / "etc/systemd/system/multi-user.target.wants/regenerate-ssh-host-keys.service"
    if not link.exists():
        link.symlink_to("/etc/systemd/system/regenerate-ssh-host-keys.service")
    tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
    subprocess.run(["docker", "import", "-c", 'CMD ["/sbin/init"]', "-", tag], stdin=tar.stdout, check=True,
                   stdout=subprocess.DEVNULL)
    tar.wait()
    shutil.rmtree(root)
    return tag
