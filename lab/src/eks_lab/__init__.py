"""Local lab tooling for devsecops.eks_platform (never shipped in the collection)."""
import os
from pathlib import Path

STATE_DIR = Path(os.environ.get("EKS_LAB_STATE", Path(__file__).resolve().parents[3] / ".lab"))
