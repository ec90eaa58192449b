# -*- coding: utf-8 -*-
# Copyright: devsecops.eks_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What this collection's EKS modules share."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# EKS's transient answers besides throttling (which AWSRetry retries by itself). Modules add what
# is transient only for them, such as ResourceInUseException while an add-on applies a change.
TRANSIENT_ERROR_CODES = ["ServerException", "ServiceUnavailableException"]
