"""Shared fixtures; collection imports resolve through collections/ (symlink to the repo)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# collections/ansible_collections/devsecops/eks_platform -> the repo root
sys.path.insert(0, str(REPO / "collections"))


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
