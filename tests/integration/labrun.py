"""Constants and helpers shared by the integration fixtures and tests."""
import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Under pytest-xdist (scripts/test.sh runs the test files two at a time) each worker has an emulator of
# its own: the tests count the calls it answers and look for what is left in it.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
PORT = int(os.environ.get("EKS_LAB_TEST_MOTO_PORT", "5077")) + (int(WORKER[2:]) if WORKER.startswith("gw") else 0)


def lab_client(service: str, region: str = "us-east-1"):
    """A boto3 client of the tests' emulator (dummy credentials: it accepts any)."""
    import boto3

    return boto3.client(service, region_name=region, endpoint_url=f"http://127.0.0.1:{PORT}",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def changed(run) -> int:
    """The changed count of a controller-only run, which must have succeeded."""
    assert run.rc == 0, run.out[-3000:]
    return run.recap["localhost"]["changed"]
