"""host_files on this machine's filesystem: content, attributes, directories, absent files,
validation, check mode and diff - run in-process like Ansible runs it on a host."""
from __future__ import annotations

import os
import stat

from ansible_collections.devsecops.eks_platform.plugins.modules import host_files

from modrun import run_module


def _mode(path) -> str:
    return "%04o" % stat.S_IMODE(os.stat(path).st_mode)


def test_writes_files_and_directories_then_changes_nothing(tmp_path):
    conf, private = tmp_path / "etc" / "app.conf", tmp_path / "var" / "private"
    (tmp_path / "etc").mkdir()
    files = [{"path": str(private), "state": "directory", "mode": "0700"},
             {"path": str(conf), "content": "a = 1\n", "mode": "0640"}]
    first = run_module(host_files.main, {"files": files})
    assert first["changed"] is True and first["changed_paths"] == [str(private), str(conf)]
    assert conf.read_text() == "a = 1\n" and _mode(conf) == "0640" and _mode(private) == "0700"
    assert [f["changes"] for f in first["files"]] == [["created", "mode"], ["created", "mode"]]
    again = run_module(host_files.main, {"files": files})
    assert again["changed"] is False and again["changed_paths"] == [] and again["diff"] == []


def test_check_mode_reports_content_and_mode_drift_without_changing(tmp_path):
    conf = tmp_path / "app.conf"
    conf.write_text("a = 2\n")
    conf.chmod(0o644)
    res = run_module(host_files.main, {"files": [{"path": str(conf), "content": "a = 1\n", "mode": "0600"},
                                                 {"path": str(tmp_path / "new"), "content": "x"}],
                                       "_ansible_check_mode": True, "_ansible_diff": True})
    assert res["changed"] is True
    assert [f["changes"] for f in res["files"]] == [["content", "mode"], ["created"]]
    assert conf.read_text() == "a = 2\n" and _mode(conf) == "0644" and not (tmp_path / "new").exists()
    content_diff = res["diff"][0]
    assert content_diff["before"] == "a = 2\n" and content_diff["after"] == "a = 1\n"
    assert res["diff"][1]["before"]["mode"] == "0644" and res["diff"][1]["after"]["mode"] == "0600"


def test_attributes_only_and_absent(tmp_path):
    existing, stale = tmp_path / "shadow", tmp_path / "old.conf"
    existing.write_text("keep\n")
    existing.chmod(0o666)
    stale.write_text("x")
    res = run_module(host_files.main, {"files": [{"path": str(existing), "mode": "0640"},
                                                 {"path": str(stale), "state": "absent"},
                                                 {"path": str(tmp_path / "never"), "state": "absent"}]})
    assert res["changed_paths"] == [str(existing), str(stale)]
    assert existing.read_text() == "keep\n" and _mode(existing) == "0640" and not stale.exists()
    missing = run_module(host_files.main, {"files": [{"path": str(tmp_path / "missing"), "mode": "0600"}]})
    assert missing["failed"] and "does not exist" in missing["msg"]


def test_failed_validation_keeps_the_old_file(tmp_path):
    conf = tmp_path / "sudoers"
    conf.write_text("good\n")
    res = run_module(host_files.main, {"files": [{"path": str(conf), "content": "bad\n",
                                                  "validate": "grep -q good %s"}]})
    assert res["failed"] and "validation of %s failed" % conf in res["msg"]
    assert conf.read_text() == "good\n"
    assert [p.name for p in tmp_path.iterdir()] == ["sudoers"]  # no temporary file left behind
    ok = run_module(host_files.main, {"files": [{"path": str(conf), "content": "good too\n",
                                                 "validate": "grep -q good %s"}]})
    assert ok["changed"] and conf.read_text() == "good too\n"
