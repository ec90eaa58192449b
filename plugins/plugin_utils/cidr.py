# -*- coding: utf-8 -*-
# Copyright: devsecops.eks_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's CIDR plan and checks (stdlib ipaddress only), behind the cidr_plan and
cidr_problems filters."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible.errors import AnsibleFilterError


def _net(cidr, name):
    try:
        net = ipaddress.ip_network(str(cidr), strict=True)
    except ValueError as exc:
        raise AnsibleFilterError("%s: malformed CIDR %r (%s)" % (name, cidr, exc))
    if net.version != 4:
        raise AnsibleFilterError("%s: only IPv4 VPC CIDRs are supported, got %s" % (name, cidr))
    if not 16 <= net.prefixlen <= 28:
        raise AnsibleFilterError("%s: VPC CIDR %s must be between /16 and /28" % (name, cidr))
    return net


def cidr_plan(cidr, azs, newbits=4, name="vpc"):
    net = _net(cidr, name)
    azs = list(azs)
    new_prefix = net.prefixlen + int(newbits)
    if new_prefix > 28:
        raise AnsibleFilterError(
            "%s: subnet plan does not fit: %s + %d bits gives /%d, smaller than AWS's /28 minimum"
            % (name, cidr, newbits, new_prefix))
    half = 2 ** int(newbits) // 2
    if len(azs) > half:
        raise AnsibleFilterError(
            "%s: subnet plan does not fit: %d AZs need %d subnets of /%d but %s holds only %d"
            % (name, len(azs), 2 * len(azs), new_prefix, cidr, 2 ** int(newbits)))
    blocks = list(net.subnets(new_prefix=new_prefix))
    return [
        {"az": az, "index": i, "public": str(blocks[i]), "private": str(blocks[half + i])}
        for i, az in enumerate(azs)
    ]


def cidr_problems(vpcs):
    """Return a list of messages for malformed or overlapping VPC CIDRs ({name: {cidr: ...}})."""
    problems = []
    nets = {}
    for name, spec in sorted(dict(vpcs).items()):
        var = "network_vpcs.%s.cidr" % name
        try:
            nets[name] = _net(spec.get("cidr") if isinstance(spec, dict) else None, var)
        except AnsibleFilterError as exc:
            problems.append(str(exc))
    names = sorted(nets)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if nets[a].overlaps(nets[b]):
                problems.append("network_vpcs.%s.cidr %s overlaps network_vpcs.%s.cidr %s"
                                % (a, nets[a], b, nets[b]))
    return problems
