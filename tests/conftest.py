"""Shared test helpers: run our modules in-process, and run playbooks against the lab."""
from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# collections/ansible_collections/devsecops/eks_platform -> the repo root
sys.path.insert(0, str(REPO / "collections"))


@contextlib.contextmanager
def _module_args(args: dict):
    try:
        from ansible.module_utils.testing import patch_module_args  # ansible-core >= 2.19
    except ImportError:  # ansible-core 2.17/2.18 (Python 3.11 users)
        from ansible.module_utils import basic
        from ansible.module_utils.common.text.converters import to_bytes

        old = basic._ANSIBLE_ARGS
        basic._ANSIBLE_ARGS = to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = old
        return
    with patch_module_args(args):
        yield


def run_module(main, args: dict) -> dict:
    """Run a module's main() with args; return its JSON result (failed=True on fail_json)."""
    out = io.StringIO()
    with _module_args(args), contextlib.redirect_stdout(out):
        with pytest.raises(SystemExit):
            main()
    return json.loads(out.getvalue())


@pytest.fixture
def aws_offline(monkeypatch):
    """In-process moto (mock_aws): no endpoint override, dummy credentials."""
    for var in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    from moto import mock_aws

    with mock_aws():
        yield
