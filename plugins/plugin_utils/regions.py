# -*- coding: utf-8 -*-
# Copyright: devsecops.eks_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWS region names as botocore knows them, instead of a hand-kept list."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re


def _partitions():
    from botocore.loaders import create_loader

    return create_loader().load_data("endpoints")["partitions"]


def partition_of(region):
    """The partition (aws, aws-us-gov, aws-cn...) a region belongs to, or None if botocore knows it
    neither by name nor by its partition's region pattern (a region newer than botocore's list
    still matches its partition's pattern)."""
    partitions = _partitions()
    for partition in partitions:
        if region in partition.get("regions", {}):
            return partition["partition"]
    for partition in partitions:
        if partition.get("regionRegex") and re.match(partition["regionRegex"], region or ""):
            return partition["partition"]
    return None


def is_aws_region(region):
    return isinstance(region, str) and partition_of(region) is not None
