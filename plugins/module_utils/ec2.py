# -*- coding: utf-8 -*-
# Copyright: devsecops.eks_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What this collection's EC2 modules share: the transient errors they retry and one paginated,
retried read."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# EC2's transient answers besides throttling, which AWSRetry retries by itself. (Terraform's AWS
# provider retries the same.) Modules add what is transient only for them, such as
# IncorrectState while a Client VPN endpoint or a VPC endpoint applies a previous change.
TRANSIENT_ERROR_CODES = ["InternalError", "InternalFailure", "Unavailable", "ServiceUnavailable"]


@AWSRetry.jittered_backoff(catch_extra_error_codes=TRANSIENT_ERROR_CODES)
def paginate(client, operation, key, **kwargs):
    """Every page of `operation`, the items under `key` joined ([] when the answer has none)."""
    return client.get_paginator(operation).paginate(**kwargs).build_full_result().get(key, [])
