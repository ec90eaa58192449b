"""Constants shared by the integration fixtures and tests."""
import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PORT = int(os.environ.get("EKS_LAB_TEST_MOTO_PORT", "5077"))
