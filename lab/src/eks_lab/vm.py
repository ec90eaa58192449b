"""Lab VMs: Debian 12 with the SELinux policy installed and the filesystem labelled, booted
with qemu (TCG unless KVM really works) on a qcow2 overlay. A ``plain`` VM is the same Debian
as a stock cloud image has it: no SELinux labels, no kernel arguments, booted through GRUB from
its own /boot/grub/grub.cfg, so a role's GRUB drop-in, update-grub and reboot really change how it
boots. SSH is forwarded on 127.0.0.1;
user networking is restricted, so the guest reaches nothing but the lab egress proxy (Squid), which
it sees at 10.0.2.100:3142.

Two VMs can share a private segment (a qemu UDP socket link between them, an L2 wire that
carries no host port): the bastion/jump-host pair of the lab. A VM started ``private`` gets no
SSH forward at all, so it is reachable only across that segment - as the jump host in the
App VPC is reachable only through a bastion."""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
import zlib
from pathlib import Path

from . import STATE_DIR, images
from .pki import ssh_key

VM_DIR = STATE_DIR / "vms"
GUEST_PROXY = "http://10.0.2.100:3142"
# Patched at build, as an image pipeline patches an AMI: no security update is pending when a
# converge starts (applying a few dozen on a TCG guest costs minutes the suite does not have).
VM_RECIPE = {"suite": images.SUITE, "kind": "vm", "rev": 7, "security_updates": True,
             "packages": images.BASE_PACKAGES + ["linux-image-amd64", "systemd-resolved", "selinux-basics",
                                                 "selinux-policy-default", "policycoreutils", "ifupdown",
                                                 "isc-dhcp-client", "grub-pc-bin", "grub2-common"]}
# GRUB's core for the plain image: it reads the disk's own /boot/grub/grub.cfg (update-grub's output).
GRUB_MODULES = ["biosdisk", "ext2", "linux", "normal", "configfile", "search", "search_fs_uuid", "search_label",
                "echo", "test", "serial", "terminal", "gzio", "part_msdos"]
GRUB_EARLY = "set root=(hd0)\nconfigfile (hd0)/boot/grub/grub.cfg\n"
MEMORY_MB = int(os.environ.get("EKS_LAB_VM_MEMORY", "1536"))
LAN_PREFIX = "10.99"
# Configures the private-segment NIC (MAC 52:54:00:99:...) from the kernel command line.
LAN_SCRIPT = """#!/bin/sh
set -eu
addr=$(sed -n 's/.*eks_lab.lan=\\([^ ]*\\).*/\\1/p' /proc/cmdline)
[ -n "$addr" ] || exit 0
for dev in /sys/class/net/*; do
  if grep -qi '^52:54:00:99:' "$dev/address"; then
    ip link set "${dev##*/}" up
    ip addr replace "$addr" dev "${dev##*/}"
  fi
done
"""
TOOLS = ("qemu-system-x86_64", "qemu-img", "debootstrap", "mkfs.ext4", "nc", "ssh", "ssh-keygen")


def unavailable_reason() -> str | None:
    """Why lab VMs cannot run here, or None."""
    missing = [t for t in TOOLS if not shutil.which(t)]
    if missing:
        return "missing tools: " + ", ".join(missing) + " (scripts/install.sh installs them with EKS_LAB_VMS=1)"
    if os.geteuid() != 0:
        return "building the VM image (debootstrap, chroot, setfiles) needs root"
    return None


def too_slow_on_tcg(reason: str) -> str | None:
    """`reason` when a test whose VM minutes do not pay for themselves on TCG should skip: None where
    KVM works or with EKS_LAB_FULL_VM=1 (the tests' opt-in to every VM test)."""
    if os.environ.get("EKS_LAB_FULL_VM") == "1" or kvm_works():
        return None
    return reason


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


def _chroot(root: Path, *cmd: str) -> None:
    subprocess.run(["chroot", str(root), *cmd], check=True, stdout=subprocess.DEVNULL)


def _version_key(path: Path) -> list:
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", path.name)]


def base_image() -> dict:
    """Build (once per recipe) the kernel, initrd and labelled qcow2 base disk."""
    out = STATE_DIR / "images" / f"vm-{images.recipe_hash(VM_RECIPE)}"
    meta = out / "image.json"
    if meta.exists():
        return json.loads(meta.read_text())
    root = images.BUILD_DIR / "vm-rootfs"
    images.debootstrap(root, VM_RECIPE["packages"], security_updates=VM_RECIPE["security_updates"])
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
    lan = root / "usr/local/sbin/eks-lab-lan"
    lan.write_text(LAN_SCRIPT)
    lan.chmod(0o755)
    (root / "etc/systemd/system/eks-lab-lan.service").write_text(
        "[Unit]\nDescription=Lab private segment address\nConditionKernelCommandLine=eks_lab.lan\n"
        "After=network-pre.target\nBefore=ssh.service\n"
        "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/usr/local/sbin/eks-lab-lan\n"
        "[Install]\nWantedBy=multi-user.target\n")
    _chroot(root, "systemctl", "enable", "eks-lab-lan.service")
    out.mkdir(parents=True, exist_ok=True)
    # the newest kernel (the image's security updates may add one beside the point release's), by version
    kernel = sorted((root / "boot").glob("vmlinuz-*"), key=_version_key)[-1]
    initrd = root / "boot" / kernel.name.replace("vmlinuz-", "initrd.img-")
    # The plain disk first, before anything is labelled: a stock image's boot through GRUB.
    _grub_boot(root, out, kernel, initrd)
    _disk(root, out / "disk-plain.qcow2")
    (root / "etc/default/grub").unlink()
    shutil.rmtree(root / "boot/grub")
    # The policy is installed; the role makes it enforcing. The image boots permissive.
    selinux_cfg = root / "etc/selinux/config"
    selinux_cfg.write_text("SELINUX=permissive\nSELINUXTYPE=default\n")
    (root / "etc/default/grub.d").mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "proc", "proc", str(root / "proc")], check=True)
    try:
        _chroot(root, "setfiles", "-F", "/etc/selinux/default/contexts/files/file_contexts", "/")
    finally:
        subprocess.run(["umount", str(root / "proc")], check=False)
    shutil.copy(kernel, out / "vmlinuz")
    shutil.copy(initrd, out / "initrd.img")
    _disk(root, out / "disk.qcow2")
    shutil.rmtree(root)
    info = {"kernel": str(out / "vmlinuz"), "initrd": str(out / "initrd.img"), "disk": str(out / "disk.qcow2"),
            "plain_disk": str(out / "disk-plain.qcow2"), "grub": str(out / "grub.lnx")}
    meta.write_text(json.dumps(info))
    return info


def _disk(root: Path, qcow2: Path) -> None:
    raw = qcow2.with_suffix(".raw")
    subprocess.run(["mkfs.ext4", "-q", "-F", "-L", "root", "-d", str(root), str(raw), "4G"], check=True)
    subprocess.run(["qemu-img", "convert", "-O", "qcow2", str(raw), str(qcow2)], check=True)
    raw.unlink()


def _grub_boot(root: Path, out: Path, kernel: Path, initrd: Path) -> None:
    """GRUB as a stock image has it - its defaults, its modules in /boot/grub, a first grub.cfg that
    update-grub replaces - and, in the BIOS's place, GRUB's core for qemu to load: lnxboot.img makes
    core.img a kernel qemu's -kernel boots (the disk has no partition table for a boot sector)."""
    grub = root / "boot/grub"
    shutil.copytree(root / "usr/lib/grub/i386-pc", grub / "i386-pc", dirs_exist_ok=True)
    defaults = (root / "usr/share/grub/default/grub").read_text()
    for key, value in (("GRUB_TIMEOUT", "0"), ("GRUB_CMDLINE_LINUX", '"console=ttyS0"')):
        defaults = re.sub(rf"(?m)^{key}=.*$", f"{key}={value}", defaults)
    (root / "etc/default/grub").write_text(defaults + "GRUB_TERMINAL=console\n")
    (grub / "grub.cfg").write_text(
        f"set timeout=0\nmenuentry 'Debian GNU/Linux' {{\n  linux /boot/{kernel.name} root=/dev/vda ro console=ttyS0 quiet\n"
        f"  initrd /boot/{initrd.name}\n}}\n")
    (root / "tmp/early.cfg").write_text(GRUB_EARLY)
    _chroot(root, "grub-mkimage", "-O", "i386-pc", "-o", "/tmp/core.img", "-c", "/tmp/early.cfg",
            "-p", "(hd0)/boot/grub", *GRUB_MODULES)
    core = root / "tmp/core.img"
    (out / "grub.lnx").write_bytes((root / "usr/lib/grub/i386-pc/lnxboot.img").read_bytes() + core.read_bytes())
    core.unlink()
    (root / "tmp/early.cfg").unlink()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ssh_ready(port: int, key: Path, extra: list[str] | None = None) -> bool:
    return subprocess.run(["ssh", "-q", "-i", str(key), "-p", str(port), *(extra or []), "-o", "BatchMode=yes",
                           "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                           "-o", "ConnectTimeout=5", "root@127.0.0.1", "true"], check=False).returncode == 0


def lan_link(segment: str, index: int) -> dict:
    """Where VM number `index` (1 or 2) of a two-VM private segment sits: its address and the
    pair of 127.0.0.1 UDP ports that carry the segment's frames (no IP service listens there)."""
    if index not in (1, 2):
        raise ValueError("a lab segment links exactly two VMs: index 1 or 2")
    base = 40000 + 2 * (zlib.crc32(segment.encode()) % 5000)
    third = zlib.crc32(segment.encode()) % 200 + 1
    local, peer = (base, base + 1) if index == 1 else (base + 1, base)
    return {"segment": segment, "address": f"{LAN_PREFIX}.{third}.{10 + index}", "prefix": 24,
            "cidr": f"{LAN_PREFIX}.{third}.0/24", "udp_local": local, "udp_peer": peer,
            "mac": f"52:54:00:99:{third:02x}:{index:02x}"}


def up(name: str, timeout: float = 300, lan: str | None = None, private: bool = False,
       via: dict | None = None, plain: bool = False) -> dict:
    """Boot (or find running) VM `name`; return how to reach it over SSH.

    lan: "SEGMENT:INDEX" puts the VM on a private two-VM segment. private: no SSH forward on
    the host; readiness is then checked through `via` (the other VM's info), like ProxyJump.
    plain: the stock-image disk (no SELinux labels or kernel arguments), booted through GRUB."""
    info = _start(name, lan, private, via, plain)
    return info if info.get("boot_seconds") is not None else _wait(info, timeout, via)


def pair(front: str, back: str, timeout: float = 300) -> list[dict]:
    """Two VMs on one private segment, booting at the same time: `front` has an SSH forward on
    127.0.0.1, `back` has none and is reachable only through `front` (bastion -> jump host)."""
    first = _start(front, f"{front}:1", False, None)
    second = _start(back, f"{front}:2", True, first)
    if first.get("boot_seconds") is None:
        first = _wait(first, timeout, None)
    if second.get("boot_seconds") is None:
        second = _wait(second, timeout, first)
    return [first, second]


def _start(name: str, lan: str | None, private: bool, via: dict | None, plain: bool = False) -> dict:
    """Start qemu for `name` unless it already answers; does not wait for SSH."""
    vm_dir = VM_DIR / name
    state = vm_dir / "state.json"
    key = ssh_key()
    if state.exists():
        info = json.loads(state.read_text())
        if info.get("boot_seconds") is not None and _reachable(info, key, via):
            return info | {"reused": True}
        down(name)
    if private and not (lan and via):
        raise ValueError("a private VM needs a lan segment and a VM to reach it through (via)")
    if plain and lan:
        raise ValueError("a plain VM boots what its own GRUB passes: no lab segment (its address is a kernel argument)")
    img = base_image()
    vm_dir.mkdir(parents=True, exist_ok=True)
    overlay = vm_dir / "overlay.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", img["plain_disk" if plain else "disk"], str(overlay)], check=True)
    port = None if private else _free_port()
    accel = "kvm" if kvm_works() else "tcg"
    proxy_port = int(os.environ.get("EKS_LAB_PROXY_PORT", "3142"))
    netdev = "user,id=n0,restrict=on,"
    if port:
        netdev += f"hostfwd=tcp:127.0.0.1:{port}-:22,"
    netdev += f"guestfwd=tcp:10.0.2.100:3142-cmd:nc 127.0.0.1 {proxy_port}"
    # The kernel is qemu's to boot (no GRUB in the image): the arguments the selinux and auditd roles'
    # GRUB drop-ins would pass on a real host are passed here.
    append = (f"root=/dev/vda rw console=ttyS0 security=selinux selinux=1 audit=1 audit_backlog_limit=8192 quiet"
              f" systemd.hostname={name}")
    net_args = ["-netdev", netdev, "-device", "virtio-net-pci,netdev=n0"]
    link = None
    if lan:
        segment, index = lan.rsplit(":", 1)
        link = lan_link(segment, int(index))
        append += f" eks_lab.lan={link['address']}/{link['prefix']}"
        net_args += ["-netdev", f"socket,id=n1,udp=127.0.0.1:{link['udp_peer']},localaddr=127.0.0.1:{link['udp_local']}",
                     "-device", f"virtio-net-pci,netdev=n1,mac={link['mac']}"]
    # plain: GRUB's core in the BIOS's place; the kernel and its arguments are what the disk's grub.cfg says
    boot = ["-kernel", img["grub"]] if plain else ["-kernel", img["kernel"], "-initrd", img["initrd"], "-append", append]
    subprocess.run(["qemu-system-x86_64", "-name", name, "-machine", "q35", "-accel", accel, "-cpu", "max",
                    "-m", str(MEMORY_MB), "-smp", "2", *boot,
                    "-drive", f"file={overlay},if=virtio,format=qcow2", *net_args,
                    "-display", "none", "-serial", f"file:{vm_dir / 'console.log'}",
                    "-daemonize", "-pidfile", str(vm_dir / "qemu.pid")], check=True)
    info = {"name": name, "address": "127.0.0.1" if port else None, "port": port, "identity_file": str(key),
            "accel": accel, "proxy": GUEST_PROXY, "lan": link, "plain": plain, "started": time.time(), "boot_seconds": None, "reused": False}
    state.write_text(json.dumps(info))
    return info


def _wait(info: dict, timeout: float, via: dict | None) -> dict:
    key = Path(info["identity_file"])
    state = VM_DIR / info["name"] / "state.json"
    while time.time() - info["started"] < timeout:
        if _reachable(info, key, via):
            info["boot_seconds"] = round(time.time() - info["started"], 1)
            state.write_text(json.dumps(info))
            return info
        time.sleep(2)
    raise TimeoutError(f"VM {info['name']} did not answer SSH within {timeout}s; see {state.parent / 'console.log'}")


def _reachable(info: dict, key: Path, via: dict | None) -> bool:
    if info.get("port"):
        return _ssh_ready(info["port"], key)
    if not via or not info.get("lan"):
        return False
    proxy = (f"ProxyCommand=ssh -q -i {key} -p {via['port']} -o BatchMode=yes -o StrictHostKeyChecking=no "
             f"-o UserKnownHostsFile=/dev/null -W {info['lan']['address']}:22 root@127.0.0.1")
    return _ssh_ready(via["port"], key, ["-o", proxy])


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


def state(name: str) -> dict | None:
    """The recorded state of lab VM `name`, or None."""
    f = VM_DIR / name / "state.json"
    return json.loads(f.read_text()) if f.exists() else None


def ls() -> list[dict]:
    return [json.loads(f.read_text()) for f in sorted(VM_DIR.glob("*/state.json"))]
