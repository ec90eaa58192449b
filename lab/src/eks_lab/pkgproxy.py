"""A small caching HTTP proxy for lab guests' package managers (apt's Acquire::http::Proxy).

Guests have no route out; this proxy, on the host, is their only way to the Debian archive.
Only allow-listed hosts are fetched. Pool files (*.deb, immutable by name) are cached on disk,
so repeated lab runs do not download them again; index files are always fetched fresh.

    python -m eks_lab.pkgproxy --port 3142
"""
from __future__ import annotations

import argparse
import hashlib
import http.server
import os
import shutil
import socketserver
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from . import STATE_DIR

ALLOWED_HOSTS = {h for h in os.environ.get(
    "EKS_LAB_PROXY_HOSTS", "deb.debian.org,security.debian.org,packages.treasuredata.com").split(",") if h}
CACHE = STATE_DIR / "pkgcache"
MIRROR = STATE_DIR / "clamav-mirror"
# The EICAR test string, built in pieces so that this file itself is not a detection.
EICAR = ("X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*").encode()


def build_clamav_mirror() -> Path:
    """A custom signature database (.hdb: md5:size:name) that detects the EICAR test file,
    as `sigtool --md5` would write it. Served at /clamav/eks-lab-eicar.hdb."""
    MIRROR.mkdir(parents=True, exist_ok=True)
    (MIRROR / "eks-lab-eicar.hdb").write_text(
        "%s:%d:Eks-Lab.Eicar-Test-Signature\n" % (hashlib.md5(EICAR).hexdigest(), len(EICAR)))
    return MIRROR


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quieter than stderr per request
        with open(STATE_DIR / "pkgproxy.log", "a", encoding="utf-8") as log:
            log.write("%s %s\n" % (self.address_string(), fmt % args))

    def _fail(self, code: int, msg: str) -> None:
        body = msg.encode()
        self.send_response(code, msg)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802
        if self.path.startswith("/clamav/"):
            return self._mirror(self.path[len("/clamav/"):])
        url = urllib.parse.urlsplit(self.path)
        if url.scheme != "http" or url.hostname not in ALLOWED_HOSTS:
            return self._fail(403, "host not allowed by the lab package proxy")
        cacheable = url.path.endswith((".deb", ".udeb"))
        cached = CACHE / hashlib.sha256(self.path.encode()).hexdigest()
        if cacheable and cached.exists():
            return self._send_file(cached)
        try:
            with urllib.request.urlopen(urllib.request.Request(self.path, headers={"User-Agent": "eks-lab-pkgproxy"}),
                                        timeout=60) as upstream:
                if not cacheable:
                    data = upstream.read()
                    self.send_response(upstream.status)
                    for h in ("Content-Type", "Last-Modified", "ETag"):
                        if upstream.headers.get(h):
                            self.send_header(h, upstream.headers[h])
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return None
                CACHE.mkdir(parents=True, exist_ok=True)
                with tempfile.NamedTemporaryFile(dir=CACHE, delete=False) as tmp:
                    shutil.copyfileobj(upstream, tmp)
                os.replace(tmp.name, cached)
        except urllib.error.HTTPError as exc:
            return self._fail(exc.code, str(exc.reason))
        except OSError as exc:
            return self._fail(502, "upstream: %s" % exc)
        return self._send_file(cached)

    do_HEAD = do_GET

    def _mirror(self, name: str) -> None:
        """The lab's private ClamAV signature mirror (freshclam DatabaseCustomURL)."""
        path = MIRROR / os.path.basename(name)
        if not path.is_file():
            return self._fail(404, "not in the lab ClamAV mirror")
        return self._send_file(path)

    def _send_file(self, path: Path) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.debian.binary-package")
        self.send_header("Content-Length", str(path.stat().st_size))
        self.end_headers()
        if self.command != "HEAD":
            with open(path, "rb") as f:
                shutil.copyfileobj(f, self.wfile)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main() -> None:
    ap = argparse.ArgumentParser(description="lab package proxy")
    ap.add_argument("--bind", default="0.0.0.0")
    ap.add_argument("--port", type=int, default=3142)
    args = ap.parse_args()
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    build_clamav_mirror()
    Server((args.bind, args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
