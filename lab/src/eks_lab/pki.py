"""A throwaway lab PKI (CA, server and one client certificate) for the Client VPN role."""
from __future__ import annotations

import datetime
import subprocess
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from . import STATE_DIR

PKI_DIR = STATE_DIR / "pki"


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject, issuer, key, signing_key, ca: bool, usage):
    now = datetime.datetime.now(datetime.timezone.utc)
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now - datetime.timedelta(minutes=5))
         .not_valid_after(now + datetime.timedelta(days=365))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if usage:
        b = b.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if not ca:
        b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(subject.rfc4514_string()[3:])]), critical=False)
    return b.sign(signing_key, hashes.SHA256())


def _write(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    path.chmod(0o600)


def ssh_key() -> Path:
    """The lab operators' SSH key (made once): in the lab VMs, and imported as the stack's key pair."""
    key = STATE_DIR / "lab_ed25519"
    if not key.exists():
        STATE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "eks-lab", "-f", str(key)], check=True)
    return key


def ensure(directory: Path = PKI_DIR) -> dict:
    """Create the PKI and the SSH key once; later calls return the same files ("created" says
    which call made the PKI)."""
    ssh_key()
    directory.mkdir(parents=True, exist_ok=True)
    files = {n: str(directory / f"{n}.pem")
             for n in ("ca", "ca-key", "server", "server-key", "client-ca", "client-ca-key", "client", "client-key")}
    if all(Path(f).exists() for f in files.values()):
        return files | {"created": False}
    pem = serialization.Encoding.PEM

    def key_pem(k):
        return k.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    # Two CAs, as the client_vpn role expects by default: the server's, and the one clients' certificates
    # come from (trusting the server's CA for clients would admit anything it ever signed).
    for ca_name, name, usage in (("ca", "server", ExtendedKeyUsageOID.SERVER_AUTH),
                                 ("client-ca", "client", ExtendedKeyUsageOID.CLIENT_AUTH)):
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca = _cert(_name(f"eks-lab-{ca_name}"), _name(f"eks-lab-{ca_name}"), ca_key, ca_key, True, None)
        k = ec.generate_private_key(ec.SECP256R1())
        c = _cert(_name(f"{name}.vpn.eks-lab.internal"), ca.subject, k, ca_key, False, usage)
        _write(directory / f"{name}.pem", c.public_bytes(pem))
        _write(directory / f"{name}-key.pem", key_pem(k))
        _write(directory / f"{ca_name}.pem", ca.public_bytes(pem))
        _write(directory / f"{ca_name}-key.pem", key_pem(ca_key))
    return files | {"created": True}
