# -*- coding: utf-8 -*-
# Copyright: devsecops.eks_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: same_az_first
short_description: Addresses of hosts, those in a given availability zone first
version_added: 1.1.0
description:
- Takes the variables of some hosts (for example C(groups['bastion'] | map('extract', hostvars))) and returns
  their addresses (C(ansible_host)), each once - first the hosts whose C(placement.availability_zone) (as the
  amazon.aws.aws_ec2 inventory sets it) is O(az), then the others in their order.
- The AWS inventories use it to reach a bastion or an egress proxy of the host's own AZ first, and any other when
  that AZ has none or it does not answer.
options:
  _input:
    description: Host variables, one dictionary per host.
    type: list
    elements: dict
    required: true
  az:
    description: The availability zone to put first. Empty puts none first.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: The bastions to try, the one of this host's AZ first
  ansible.builtin.set_fact:
    bastions: >-
      {{ groups['bastion'] | map('extract', hostvars)
      | devsecops.eks_platform.same_az_first(placement.availability_zone | default('')) }}
"""

RETURN = r"""
_value:
  description: Addresses, the given AZ's first, without duplicates.
  type: list
  elements: str
"""


def same_az_first(hosts, az):
    hosts = list(hosts)
    here = [bool(az) and (h.get("placement") or {}).get("availability_zone") == az for h in hosts]
    addresses = []
    for host in [h for h, x in zip(hosts, here) if x] + [h for h, x in zip(hosts, here) if not x]:
        address = host.get("ansible_host")
        if address and address not in addresses:
            addresses.append(address)
    return addresses


class FilterModule(object):
    def filters(self):
        return {"same_az_first": same_az_first}
