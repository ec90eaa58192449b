"""Lab VMs: Debian 12 with the SELinux policy installed and the filesystem labelled, booted
with qemu (TCG unless KVM really works) on a qcow2 overlay. SSH is forwarded on 127.0.0.1;
user networking is restricted, so the guest reaches nothing but the lab package proxy, which
it sees at 10.0.2.100:3142."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from . import STATE_DIR, images

VM_DIR = STATE_DIR / "vms"
GUEST_PROXY = "http://10.0.2.100:3142"
VM_RECIPE = {"suite": images.SUITE, "kind": "vm", "rev": 3,
             "packages": images.BASE_PACKAGES + ["linux-image-amd64", "systemd-resolved", "selinux-basics",
                                                 "selinux-policy-default", "policycoreutils", "ifupdown",
                                                 "isc-dhcp-client"]}
MEMORY_MB = int(os.environ.get("EKS_LAB_VM_MEMORY", "1536"))
TOOLS = ("qemu-system-x86_64", "qemu-img", "debootstrap", "mkfs.ext4", "nc", "ssh", "ssh-keygen")


def unavailable_reason() -> str | None:
    """Why lab VMs cannot run here, or None."""
    missing = [t for t in TOOLS if not shutil.which(t)]
    if missing:
        return "missing tools: " + ", ".join(missing) + " (scripts/install.sh installs them with EKS_LAB_VMS=1)"
    if os.geteuid() != 0:
        return "building the VM image (debootstrap, chroot, setfiles) needs root"
    return None


def kvm_works() -> bool:
    """/dev/kvm can exist and still hang stock kernels (a PVM module): try it, briefly."""
    # Only an explicit opt-in makes the probe worth running: its success alone does not prove
    # that a stock guest kernel will boot (the PVM module here passes it and then hangs guests).
    if os.environ.get("EKS_LAB_TRUST_KVM") != "1" or not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False
    try:
        proc = subprocess.run(["qemu-system-x86_64", "-accel", "kvm", "-machine", "q35", "-nodefaults",
                               "-display", "none", "-S", "-qmp", "stdio"], input=b'{"execute":"qmp_capabilities"}\n'
                              b'{"execute":"quit"}\n', capture_output=True, timeout=10, check=False)
    except subprocess.TimeoutExpired:
        return False
    return proc.returncode == 0 and b"return" in proc.stdout


def ssh_key() -> Path:
    key = STATE_DIR / "lab_ed25519"
    if not key.exists():
        STATE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "eks-lab", "-f", str(key)], check=True)
    return key


def _chroot(root: Path, *cmd: str) -> None:
    subprocess.run(["chroot", str(root), *cmd], check=True, stdout=subprocess.DEVNULL)


def base_image() -> dict:
    """Build (once per recipe) the kernel, initrd and labelled qcow2 base disk."""
    out = STATE_DIR / "images" / f"vm-{images.recipe_hash(VM_RECIPE)}"
    meta = out / "image.json"
    if meta.exists():
        return json.loads(meta.read_text())
    root = STATE_DIR / "build" / "vm-rootfs"
    images.debootstrap(root, VM_RECIPE["packages"])
    (root / "etc/fstab").write_text("/dev/vda / ext4 defaults 0 1\n")
    (root / "etc/hostname").write_text("eks-lab-vm\n")
    (root / "etc/network/interfaces").write_text(
        "auto lo\niface lo inet loopback\nallow-hotplug ens2\niface ens2 inet dhcp\n"
        "allow-hotplug enp0s2\niface enp0s2 inet dhcp\n")
    ssh_dir = root / "root/.ssh"
    ssh_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    (ssh_dir / "authorized_keys").write_text(Path(str(ssh_key()) + ".pub").read_text())
    (ssh_dir / "authorized_keys").chmod(0o600)
    # Host keys are generated at first boot, like a cloud image.
    (root / "etc/systemd/system/regen-ssh-keys.service").write_text(
        "[Unit]\nConditionPathExists=!/etc/ssh/ssh_host_ed25519_key\nBefore=ssh.service\n"
        "[Service]\nType=oneshot\nExecStart=/usr/bin/ssh-keygen -A\nExecStartPost=/sbin/restorecon -R /etc/ssh\n"
        "[Install]\nWantedBy=multi-user.target\n")
    _chroot(root, "systemctl", "enable", "regen-ssh-keys.service")
    # The policy is installed; the role makes it enforcing. The image boots permissive.
    selinux_cfg = root / "etc/selinux/config"
    selinux_cfg.write_text("SELINUX=permissive\nSELINUXTYPE=default\n")
    (root / "etc/default/grub.d").mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "proc", "proc", str(root / "proc")], check=True)
    try:
        _chroot(root, "setfiles", "-F", "/etc/selinux/default/contexts/files/file_contexts", "/")
    finally:
        subprocess.run(["umount", str(root / "proc")], check=False)
    out.mkdir(parents=True, exist_ok=True)
    kernel = sorted((root / "boot").glob("vmlinuz-*"))[-1]
    initrd = sorted((root / "boot").glob("initrd.img-*"))[-1]
    shutil.copy(kernel, out / "vmlinuz")
    shutil.copy(initrd, out / "initrd.img")
    raw = out / "disk.raw"
    subprocess.run(["mkfs.ext4", "-q", "-F", "-L", "root", "-d", str(root), str(raw), "4G"], check=True)
    subprocess.run(["qemu-img", "convert", "-O", "qcow2", str(raw), str(out / "disk.qcow2")], check=True)
    raw.unlink()
    shutil.rmtree(root)
    info = {"kernel": str(out / "vmlinuz"), "initrd": str(out / "initrd.img"), "disk": str(out / "disk.qcow2")}
    meta.write_text(json.dumps(info))
    return info


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ssh_ready(port: int, key: Path) -> bool:
    return subprocess.run(["ssh", "-q", "-i", str(key), "-p", str(port), "-o", "BatchMode=yes",
                           "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                           "-o", "ConnectTimeout=5", "root@127.0.0.1", "true"], check=False).returncode == 0


def up(name: str, timeout: float = 300) -> dict:
    """Boot (or find running) VM `name`; return how to reach it over SSH."""
    vm_dir = VM_DIR / name
    state = vm_dir / "state.json"
    key = ssh_key()
    if state.exists():
        info = json.loads(state.read_text())
        if _ssh_ready(info["port"], key):
            return info
        down(name)
    img = base_image()
    vm_dir.mkdir(parents=True, exist_ok=True)
    overlay = vm_dir / "overlay.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", img["disk"], str(overlay)], check=True)
    port = _free_port()
    accel = "kvm" if kvm_works() else "tcg"
    netdev = (f"user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:{port}-:22,"
              f"guestfwd=tcp:10.0.2.100:3142-cmd:nc 127.0.0.1 {int(os.environ.get('EKS_LAB_PROXY_PORT', '3142'))}")
    subprocess.run(["qemu-system-x86_64", "-name", name, "-machine", "q35", "-accel", accel, "-cpu", "max",
                    "-m", str(MEMORY_MB), "-smp", "2", "-kernel", img["kernel"], "-initrd", img["initrd"],
                    "-append", "root=/dev/vda rw console=ttyS0 security=selinux selinux=1 quiet",
                    "-drive", f"file={overlay},if=virtio,format=qcow2", "-netdev", netdev,
                    "-device", "virtio-net-pci,netdev=n0", "-display", "none", "-serial", f"file:{vm_dir / 'console.log'}",
                    "-daemonize", "-pidfile", str(vm_dir / "qemu.pid")], check=True)
    info = {"name": name, "address": "127.0.0.1", "port": port, "identity_file": str(key), "accel": accel,
            "proxy": GUEST_PROXY}
    state.write_text(json.dumps(info))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _ssh_ready(port, key):
            info["boot_seconds"] = round(timeout - (deadline - time.monotonic()), 1)
            state.write_text(json.dumps(info))
            return info
        time.sleep(2)
    raise TimeoutError(f"VM {name} did not answer SSH within {timeout}s; see {vm_dir / 'console.log'}")


def down(name: str) -> dict:
    vm_dir = VM_DIR / name
    pidfile = vm_dir / "qemu.pid"
    stopped = False
    if pidfile.exists():
        try:
            os.kill(int(pidfile.read_text()), 15)
            stopped = True
        except (ProcessLookupError, ValueError):
            pass
    if vm_dir.exists():
        shutil.rmtree(vm_dir)
    return {"name": name, "stopped": stopped}
