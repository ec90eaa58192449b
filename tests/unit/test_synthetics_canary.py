"""synthetics_canary with botocore's Stubber (every call, its parameters and order): create then start,
waiting out CREATING and STARTING; no change; a changed script updates the code and the tag; stop before
delete; a ConflictException retried; check mode writes nothing. The zip holds the script where the runtime
loads it. Over the wire, against the lab's Synthetics backend: tests/integration/test_monitoring_lab.py."""
import io
import zipfile

import pytest
from botocore.stub import ANY

from modrun import stubbed_runner
from ansible_collections.devsecops.eks_platform.plugins.modules import synthetics_canary as mod

NAME = "eksplat-us-east-1"
SCRIPT = "exports.handler = async () => 'ok';\n"
ARGS = dict(region="us-east-1", name=NAME, script=SCRIPT, execution_role_arn="arn:aws:iam::123456789012:role/canary",
            artifact_s3_location="s3://canary-bucket/runs", environment={"URL": "https://app.example.com/"})
SHA = mod.script_sha(SCRIPT, "canary.handler", "syn-nodejs-puppeteer-9.1", ARGS["environment"])
ENGINE = "arn:aws:lambda:us-east-1:123456789012:function:cwsyn-x"


def canary(state, sha=SHA, **over):
    c = {"Name": NAME, "Status": {"State": state}, "ExecutionRoleArn": ARGS["execution_role_arn"],
         "RuntimeVersion": "syn-nodejs-puppeteer-9.1", "ArtifactS3Location": "canary-bucket/runs",
         "Schedule": {"Expression": "rate(5 minutes)", "DurationInSeconds": 0},
         "RunConfig": {"TimeoutInSeconds": 60, "MemoryInMB": 1000, "ActiveTracing": False},
         "SuccessRetentionPeriodInDays": 31, "FailureRetentionPeriodInDays": 31,
         "ArtifactConfig": {"S3Encryption": {"EncryptionMode": "SSE_S3"}}, "EngineArn": ENGINE,
         "Tags": {"devsecops:script-sha256": sha}}
    c.update(over)
    return {"Canary": c}


def missing(s):
    s.add_client_error("get_canary", "ResourceNotFoundException", "Canary not found", 404, expected_params={"Name": NAME})


@pytest.fixture
def run(monkeypatch):
    return stubbed_runner(monkeypatch, mod.main, ARGS)


def test_the_zip_holds_the_script_where_the_runtime_loads_it():
    node = zipfile.ZipFile(io.BytesIO(mod.script_zip(SCRIPT, "canary.handler", "syn-nodejs-puppeteer-9.1")))
    assert node.namelist() == ["nodejs/node_modules/canary.js"] and node.read("nodejs/node_modules/canary.js").decode() == SCRIPT
    py = zipfile.ZipFile(io.BytesIO(mod.script_zip("def handler(e, c): pass\n", "probe.handler", "syn-python-selenium-5.1")))
    assert py.namelist() == ["python/probe.py"]
    # the same script, the same bytes (no timestamp in the archive)
    assert mod.script_zip(SCRIPT, "canary.handler", "x") == mod.script_zip(SCRIPT, "canary.handler", "x")


def test_create_waits_then_starts(run):
    def script(s):
        missing(s)
        s.add_response("create_canary", {}, {"Name": NAME, "Code": {"ZipFile": ANY, "Handler": "canary.handler"},
                                             "Tags": {"devsecops:script-sha256": SHA}, "ExecutionRoleArn": ANY,
                                             "RuntimeVersion": ANY, "ArtifactS3Location": "s3://canary-bucket/runs",
                                             "Schedule": {"Expression": "rate(5 minutes)"}, "RunConfig": ANY,
                                             "SuccessRetentionPeriodInDays": 31, "FailureRetentionPeriodInDays": 31,
                                             "ArtifactConfig": {"S3Encryption": {"EncryptionMode": "SSE_S3"}}})
        s.add_response("get_canary", canary("CREATING"))
        s.add_response("get_canary", canary("READY"))
        s.add_response("start_canary", {}, {"Name": NAME})
        s.add_response("get_canary", canary("STARTING"))
        s.add_response("get_canary", canary("RUNNING"))

    result = run(script)
    assert result["changed"] is True and result["changes"] == ["created", "started"], result
    assert result["canary"]["status"]["state"] == "RUNNING"


def test_no_change_and_check_mode(run):
    assert run(lambda s: s.add_response("get_canary", canary("RUNNING")))["changed"] is False
    checked = run(missing, _ansible_check_mode=True)
    assert checked["changed"] is True and checked["changes"] == ["created", "started"]


def test_a_changed_script_updates_the_code_and_its_tag(run):
    def script(s):
        s.add_response("get_canary", canary("RUNNING", sha="old"))
        s.add_response("update_canary", {}, {"Name": NAME, "Code": {"ZipFile": ANY, "Handler": "canary.handler"},
                                             "RunConfig": {"TimeoutInSeconds": 60, "EnvironmentVariables": ARGS["environment"]}})
        s.add_response("get_canary", canary("UPDATING", sha="old"))
        s.add_response("get_canary", canary("RUNNING", sha="old"))
        s.add_response("tag_resource", {}, {"ResourceArn": "arn:aws:synthetics:us-east-1:123456789012:canary:" + NAME,
                                            "Tags": {"devsecops:script-sha256": SHA}})

    result = run(script)
    assert result["changes"] == ["updated code", "tags"], result


def test_a_new_schedule_is_updated_alone(run):
    def script(s):
        s.add_response("get_canary", canary("RUNNING"))
        s.add_response("update_canary", {}, {"Name": NAME, "Schedule": {"Expression": "rate(1 minute)"}})
        s.add_response("get_canary", canary("RUNNING", Schedule={"Expression": "rate(1 minute)"}))

    assert run(script, schedule_expression="rate(1 minute)")["changes"] == ["updated Schedule"]


def test_a_running_canary_is_stopped_then_deleted_and_a_conflict_is_retried(run):
    def script(s):
        s.add_response("get_canary", canary("RUNNING"))
        s.add_client_error("stop_canary", "ConflictException", "Canary is updating", 409)
        s.add_response("stop_canary", {}, {"Name": NAME})
        s.add_response("get_canary", canary("STOPPING"))
        s.add_response("get_canary", canary("STOPPED"))
        s.add_response("delete_canary", {}, {"Name": NAME, "DeleteLambda": True})
        missing(s)

    result = run(script, state="absent")
    assert result["changed"] is True and result["changes"] == ["deleted"]
    assert run(missing, state="absent")["changed"] is False


def test_a_refusal_names_the_canary(run):
    def script(s):
        missing(s)
        s.add_client_error("create_canary", "ValidationException", "Invalid runtime version", 400)

    failed = run(script)
    assert failed["failed"] is True and NAME in failed["msg"] and "Invalid runtime version" in failed["msg"]


def test_a_canary_in_error_fails_with_its_reason_and_the_next_run_rebuilds_it(run):
    reason = "The role defined for the function cannot be assumed by Lambda."

    def create(s):
        missing(s)
        s.add_response("create_canary", {})
        s.add_response("get_canary", canary("ERROR", Status={"State": "ERROR", "StateReason": reason}))

    failed = run(create)
    assert failed["failed"] is True and reason in failed["msg"] and NAME in failed["msg"]

    def rebuild(s):
        s.add_response("get_canary", canary("ERROR", Status={"State": "ERROR", "StateReason": reason}))
        s.add_response("update_canary", {}, {"Name": NAME, "Code": ANY, "RunConfig": ANY})
        s.add_response("get_canary", canary("READY"))
        s.add_response("start_canary", {}, {"Name": NAME})
        s.add_response("get_canary", canary("RUNNING"))

    assert run(rebuild)["changes"] == ["updated code", "started"]
