# -*- coding: utf-8 -*-
# Copyright: devsecops.eks_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The option every EKS module of this collection takes.
    DOCUMENTATION = r"""
options:
  cluster_name:
    description: Name of the EKS cluster.
    type: str
    required: true
"""
