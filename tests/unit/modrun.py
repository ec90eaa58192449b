"""Run our modules in-process (patched module args, captured JSON result)."""
from __future__ import annotations

import contextlib
import io
import json

import pytest


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
