import ipaddress

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.devsecops.eks_platform.plugins.plugin_utils.cidr import cidr_plan, cidr_problems

AZS = ["us-east-1a", "us-east-1b", "us-east-1c"]


def test_plan_gives_disjoint_subnets_inside_the_vpc():
    plan = cidr_plan("10.10.0.0/16", AZS)
    nets = [ipaddress.ip_network(p[t]) for p in plan for t in ("public", "private")]
    assert [p["az"] for p in plan] == AZS
    assert all(n.subnet_of(ipaddress.ip_network("10.10.0.0/16")) and n.prefixlen == 20 for n in nets)
    assert len({str(n) for n in nets}) == 6
    assert not any(a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1:])
    assert plan[0]["private"] == "10.10.128.0/20"


def test_plan_is_stable_when_azs_are_added():
    two, three = cidr_plan("10.20.0.0/16", AZS[:2]), cidr_plan("10.20.0.0/16", AZS)
    assert three[:2] == two


@pytest.mark.parametrize("cidr,azs,newbits,needle", [
    ("10.10.0.0/33", AZS, 4, "malformed"),
    ("10.10.0.1/16", AZS, 4, "malformed"),
    ("10.10.0.0/16", AZS, 1, "does not fit"),
    ("10.10.0.0/24", AZS, 6, "does not fit"),
    ("10.0.0.0/8", AZS, 4, "between /16 and /28"),
])
def test_plan_refuses_bad_input_naming_the_variable(cidr, azs, newbits, needle):
    with pytest.raises(AnsibleFilterError) as exc:
        cidr_plan(cidr, azs, newbits, "network_vpcs.app.cidr")
    assert needle in str(exc.value) and "network_vpcs.app.cidr" in str(exc.value)


def test_problems_reports_overlap_and_malformed():
    problems = cidr_problems({
        "security": {"cidr": "10.10.0.0/16"},
        "lb": {"cidr": "10.10.128.0/17"},
        "app": {"cidr": "nonsense"},
    })
    assert any("network_vpcs.app.cidr" in p and "malformed" in p for p in problems)
    assert any("overlaps" in p and "network_vpcs.lb.cidr" in p and "network_vpcs.security.cidr" in p for p in problems)
    assert cidr_problems({"a": {"cidr": "10.1.0.0/16"}, "b": {"cidr": "10.2.0.0/16"}}) == []


def test_aws_region_test_takes_regions_from_botocore():
    from ansible_collections.devsecops.eks_platform.plugins.plugin_utils.regions import is_aws_region, partition_of

    assert is_aws_region("us-east-1") and partition_of("us-east-1") == "aws"
    assert partition_of("us-gov-west-1") == "aws-us-gov" and partition_of("cn-north-1") == "aws-cn"
    # a region newer than botocore's list still matches its partition's pattern
    assert partition_of("ap-southeast-9") == "aws"
    assert not is_aws_region("mars-north-1") and not is_aws_region("") and not is_aws_region(None)


def test_same_az_first_orders_addresses_by_the_hosts_az():
    from ansible_collections.devsecops.eks_platform.plugins.filter.same_az_first import same_az_first

    hosts = [{"ansible_host": "10.10.1.5", "placement": {"availability_zone": "us-east-1a"}},
             {"ansible_host": "10.10.2.5", "placement": {"availability_zone": "us-east-1b"}},
             {"ansible_host": "10.10.3.5"},  # no placement (a host from another inventory source)
             {"ansible_host": "10.10.2.5", "placement": {"availability_zone": "us-east-1b"}}]
    assert same_az_first(hosts, "us-east-1b") == ["10.10.2.5", "10.10.1.5", "10.10.3.5"]
    assert same_az_first(hosts, "us-east-1c") == ["10.10.1.5", "10.10.2.5", "10.10.3.5"]  # none there: all, in order
    assert same_az_first(hosts, "") == ["10.10.1.5", "10.10.2.5", "10.10.3.5"]
    assert same_az_first([], "us-east-1a") == []
