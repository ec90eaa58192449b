# -*- coding: utf-8 -*-
# Copyright: devsecops.eks_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: aws_region
short_description: Whether a string names an AWS region botocore knows
version_added: 1.1.0
description:
- True when the region is in botocore's endpoint data for any partition (aws, aws-us-gov, aws-cn and the
  others), or matches a partition's region pattern, so that a region newer than the installed botocore's list
  is still accepted. No AWS call is made.
options:
  _input:
    description: The region name, for example C(us-east-1).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Refuse an unknown region before any AWS call
  ansible.builtin.assert:
    that: network_region is devsecops.eks_platform.aws_region
"""

RETURN = r"""
_value:
  description: Whether the input is an AWS region.
  type: bool
"""

from ansible_collections.devsecops.eks_platform.plugins.plugin_utils.regions import is_aws_region


class TestModule(object):
    def tests(self):
        return {"aws_region": is_aws_region}
