"""playbooks/diagram.yml draws the architecture from the variables that drive provisioning (no AWS
call). The committed docs/architecture.* is the prod inventory's (two regions, everything on): the
test fails when it is stale, and shows that the drawing follows the variables."""
from __future__ import annotations

from labrun import REPO

PROD = "inventories/aws/prod/localhost.yml"


def test_the_committed_diagram_is_current(playbook, tmp_path):
    run = playbook("diagram.yml", "-e", f"eks_platform_diagram_dir={tmp_path}", inventory=PROD)
    assert run.rc == 0, run.out[-3000:]
    drawn = (tmp_path / "architecture.dot").read_text()
    assert drawn == (REPO / "docs" / "architecture.dot").read_text(), (
        "docs/architecture.dot is stale: ansible-playbook playbooks/diagram.yml -i " + PROD)
    for kind, magic in (("png", b"\x89PNG"), ("svg", b"<?xml")):
        assert (tmp_path / f"architecture.{kind}").read_bytes().startswith(magic)
    # both regions, their non-overlapping VPCs, three AZs each, and DNS over their load balancers
    for region, cidr in (("us-west-2", "10.10.0.0/16"), ("us-east-1", "10.50.0.0/16")):
        assert f'label="{region}"' in drawn and f"Security VPC {cidr}" in drawn
        assert drawn.count(f'label="{region}a ') == 4  # the AZ's security, LB public and private, and App subnets
        assert f'dns -> {region.replace("-", "_")}_nlb' in drawn


def test_the_diagram_follows_the_variables(playbook, tmp_path):
    run = playbook("diagram.yml", "-e", f"eks_platform_diagram_dir={tmp_path}", "-e", '{"eks_platform_regions": ["eu-west-1"]}',
                   "-e", "eks_platform_az_count=2", "-e", "eks_platform_eks_enabled=false", inventory=PROD)
    assert run.rc == 0, run.out[-3000:]
    drawn = (tmp_path / "architecture.dot").read_text()
    assert 'label="eu-west-1"' in drawn and "us-west-2" not in drawn
    assert "eu-west-1b" in drawn and "eu-west-1c" not in drawn
    assert "EKS control plane" not in drawn
