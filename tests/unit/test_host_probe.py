"""host_probe on the output of the hardening roles' probes (dpkg-query's real format)."""
import shutil
import subprocess

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.devsecops.eks_platform.plugins.filter.host_probe import host_probe


def test_sections_and_packages():
    lines = ["container", "package aide installed", "package aide-common config-files",
             "package debsums not-installed", "apt-lists-age 4521", "fstype ext4", "fstype proc", "",
             "tmp tmpfs rw,nosuid,nodev,relatime"]
    assert host_probe(lines) == {
        "installed": ["aide"],
        "container": [""],
        "package": {"aide": "installed", "aide-common": "config-files", "debsums": "not-installed"},
        "apt-lists-age": ["4521"],
        "fstype": ["ext4", "proc"],
        "tmp": ["tmpfs rw,nosuid,nodev,relatime"],
    }
    assert host_probe("database\n") == {"installed": [], "database": [""]}


def test_a_malformed_package_line_is_an_error():
    with pytest.raises(AnsibleFilterError, match="needs a package and its status"):
        host_probe(["package aide"])
    with pytest.raises(AnsibleFilterError, match="'installed' is the list of installed packages"):
        host_probe(["installed aide"])


@pytest.mark.skipif(shutil.which("dpkg-query") is None,
                    reason="dpkg-query is not installed on this machine")
def test_the_real_dpkg_query_format():
    """What the roles run, against this machine's dpkg: an unknown package prints nothing (and
    exits 1), a known one its status."""
    run = subprocess.run(["dpkg-query", "--show", "--showformat=package ${Package} ${db:Status-Status}\n",
                          "dpkg", "eks-platform-no-such-package"], capture_output=True, text=True, check=False)
    assert run.returncode == 1
    assert host_probe(run.stdout.splitlines()) == {"installed": ["dpkg"], "package": {"dpkg": "installed"}}
