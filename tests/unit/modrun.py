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


def stub_aws_clients(monkeypatch, module, make_stubber, holder: dict) -> dict:
    """Hand every AWS client the module creates to make_stubber(client) (a botocore Stubber with
    the calls scripted), with dummy credentials and no real sleeps; holder["stubber"] is the
    last activated Stubber."""
    from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

    orig = AnsibleAWSModule.client

    def client(self, service, retry_decorator=None, **kw):
        wrapped = orig(self, service, retry_decorator, **kw)
        holder["stubber"] = make_stubber(wrapped.client)
        return wrapped

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setattr(AnsibleAWSModule, "client", client)
    monkeypatch.setattr(module.time, "sleep", lambda s: None)
    return holder


def stubbed_runner(monkeypatch, main, base_args: dict):
    """run(script, **args): run a module whose one AWS client's calls are scripted by script(stubber)
    (a botocore Stubber: every call, its parameters and order asserted; none left over), with
    dummy credentials and no real sleeps in retries' backoff."""
    import time

    from botocore.stub import Stubber
    from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

    orig = AnsibleAWSModule.client
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setattr(time, "sleep", lambda s: None)
    stubbers = []

    def run(script, **args):
        def client(self, service, retry_decorator=None, **kw):
            wrapped = orig(self, service, retry_decorator, **kw)
            stubber = Stubber(wrapped.client)
            script(stubber)
            stubber.activate()
            stubbers.append(stubber)
            return wrapped

        monkeypatch.setattr(AnsibleAWSModule, "client", client)
        result = run_module(main, dict(base_args, **args))
        if stubbers:
            stubbers[-1].assert_no_pending_responses()
        return result

    return run
