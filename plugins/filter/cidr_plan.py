# -*- coding: utf-8 -*-
# Copyright: devsecops.eks_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: cidr_plan
short_description: Subnet plan (public and private per AZ) carved from a VPC CIDR
version_added: 1.0.0
description:
- Splits O(_input) into C(2**newbits) equal blocks. Public subnet I(i) takes block I(i), private subnet
  I(i) takes block C(2**newbits / 2 + i), so both tiers grow independently.
- Fails with a message naming the VPC when the plan does not fit or the CIDR is malformed.
positional: azs, newbits, name
options:
  _input:
    description: The VPC CIDR, for example C(10.10.0.0/16).
    type: str
    required: true
  azs:
    description: Availability zone names, one subnet pair per zone.
    type: list
    elements: str
    required: true
  newbits:
    description: Bits added to the VPC prefix for each subnet.
    type: int
    default: 4
  name:
    description: Variable name used in error messages.
    type: str
    default: vpc
"""

EXAMPLES = r"""
- name: Plan three AZs in a /16
  ansible.builtin.debug:
    msg: "{{ '10.10.0.0/16' | devsecops.eks_platform.cidr_plan(['us-east-1a', 'us-east-1b', 'us-east-1c']) }}"
"""

RETURN = r"""
_value:
  description: One item per AZ with keys C(az), C(index), C(public) and C(private).
  type: list
  elements: dict
"""

from ansible_collections.devsecops.eks_platform.plugins.plugin_utils.cidr import cidr_plan


class FilterModule(object):
    def filters(self):
        return {"cidr_plan": cidr_plan}
