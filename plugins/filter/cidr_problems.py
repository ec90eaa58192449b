# -*- coding: utf-8 -*-
# Copyright: devsecops.eks_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: cidr_problems
short_description: Messages for malformed or overlapping VPC CIDRs
version_added: 1.0.0
description:
- Takes the C(network_vpcs) dictionary (name to a dict with C(cidr)) and returns one message per malformed
  CIDR and per overlapping pair, each naming the variable. Empty when all is well.
options:
  _input:
    description: Mapping of VPC name to a dictionary with a C(cidr) key.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Refuse overlapping VPCs
  ansible.builtin.assert:
    that: network_vpcs | devsecops.eks_platform.cidr_problems | length == 0
"""

RETURN = r"""
_value:
  description: Problem messages.
  type: list
  elements: str
"""

from ansible_collections.devsecops.eks_platform.plugins.plugin_utils.cidr import cidr_problems


class FilterModule(object):
    def filters(self):
        return {"cidr_problems": cidr_problems}
