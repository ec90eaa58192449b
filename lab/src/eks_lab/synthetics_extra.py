"""CloudWatch Synthetics for the lab: a small in-memory backend on moto's Synthetics routes.

moto has CreateCanary, GetCanary (a missing canary is an HTTP 500) and DescribeCanaries only. This
answers those and UpdateCanary, StartCanary, StopCanary, DeleteCanary and the tag calls the way
Synthetics does: a change leaves the canary in CREATING, UPDATING, STARTING or STOPPING until it is
next read (so a client that does not wait sees it), a canary in such a state refuses another change
(ConflictException), a running canary cannot be deleted, and the code must hold the handler's file
where the runtime loads it (nodejs/node_modules/<file>.js, python/<file>.py). It does not run them.
"""
from __future__ import annotations

import base64
import io
import json
import threading
import uuid
import zipfile
from datetime import datetime, timezone
from urllib.parse import unquote, urlparse

_LOCK = threading.Lock()
_CANARIES: dict = {}
# the stable state each transitional one becomes once it has been read
_SETTLES = {"CREATING": "READY", "STARTING": "RUNNING", "STOPPING": "STOPPED"}


class _Error(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _where(request, full_url):
    from moto.core.responses import BaseResponse

    who = BaseResponse(service_name="synthetics")
    who.setup_class(request, full_url, dict(request.headers))
    return who.current_account, who.region


def _check_code(code: dict, runtime: str) -> str:
    handler = code.get("Handler", "")
    if "." not in handler:
        raise _Error(400, "ValidationException", "Handler %r is not <file>.<function>" % handler)
    if "ZipFile" not in code:
        return "s3://%s/%s" % (code.get("S3Bucket"), code.get("S3Key"))
    path = ("python/%s.py" if runtime.startswith("syn-python") else "nodejs/node_modules/%s.js") % handler.rsplit(".", 1)[0]
    try:
        names = zipfile.ZipFile(io.BytesIO(base64.b64decode(code["ZipFile"]))).namelist()
    except (zipfile.BadZipFile, ValueError):
        raise _Error(400, "ValidationException", "ZipFile is not a zip archive")
    if path not in names:
        raise _Error(400, "ValidationException", "The zip has no %s for handler %s (runtime %s)" % (path, handler, runtime))
    return path


def _view(c: dict) -> dict:
    state = c["state"]
    if state in _SETTLES:  # read once in a transitional state: it has settled by the next read
        c["state"] = _SETTLES[state]
    elif state == "UPDATING":
        c["state"] = c.pop("after_update")
    return {"Id": c["id"], "Name": c["name"], "Code": {"Handler": c["code"]["Handler"], "SourceLocationArn": c["source"]},
            "ExecutionRoleArn": c["role"], "Schedule": c["schedule"], "RunConfig": c["run_config"],
            "SuccessRetentionPeriodInDays": c["success"], "FailureRetentionPeriodInDays": c["failure"],
            "Status": {"State": state, "StateReason": "", "StateReasonCode": ""},
            "Timeline": {"Created": c["created"], "LastModified": c["modified"]},
            "ArtifactS3Location": c["location"], "RuntimeVersion": c["runtime"], "ArtifactConfig": c["artifact_config"],
            "Tags": dict(c["tags"]), "EngineArn": "arn:aws:lambda:%s:%s:function:cwsyn-%s" % (c["region"], c["account"], c["name"])}


def _apply_settings(c: dict, body: dict) -> None:
    if "Code" in body:
        c["source"] = _check_code(body["Code"], body.get("RuntimeVersion", c.get("runtime", "")))
        c["code"] = body["Code"]
    for key, field in (("ExecutionRoleArn", "role"), ("RuntimeVersion", "runtime"), ("ArtifactS3Location", "location"),
                       ("SuccessRetentionPeriodInDays", "success"), ("FailureRetentionPeriodInDays", "failure"),
                       ("ArtifactConfig", "artifact_config")):
        if key in body:
            c[field] = body[key]
    if "Schedule" in body:
        c["schedule"] = dict({"DurationInSeconds": 0}, **body["Schedule"])
    if "RunConfig" in body:  # the environment is never answered, as on AWS
        run = {k: v for k, v in body["RunConfig"].items() if k != "EnvironmentVariables"}
        c["run_config"] = dict({"MemoryInMB": 1000, "ActiveTracing": False}, **run)
    c["modified"] = datetime.now(timezone.utc).isoformat()


def _canary(key):
    if key not in _CANARIES:
        raise _Error(404, "ResourceNotFoundException", "Canary %s does not exist" % key[2])
    return _CANARIES[key]


def _settled(c: dict, action: str) -> None:
    if c["state"] in ("CREATING", "UPDATING", "STARTING", "STOPPING", "DELETING"):
        raise _Error(409, "ConflictException", "Canary %s is %s; %s refused" % (c["name"], c["state"], action))


def _route(request, full_url):
    account, region = _where(request, full_url)
    parts = [unquote(p) for p in urlparse(full_url).path.split("/")[1:]]
    body = json.loads(request.data or b"{}") if request.method in ("POST", "PATCH") else {}
    method = request.method
    if parts == ["canary"] and method == "POST":
        name = body["Name"]
        key = (account, region, name)
        if key in _CANARIES:
            raise _Error(409, "ConflictException", "Canary %s already exists" % name)
        now = datetime.now(timezone.utc).isoformat()
        c = {"id": str(uuid.uuid4()), "name": name, "account": account, "region": region, "state": "CREATING",
             "created": now, "tags": body.get("Tags", {}), "schedule": {}, "run_config": {}, "artifact_config": {},
             "runtime": body.get("RuntimeVersion", "")}
        _apply_settings(c, body)
        _CANARIES[key] = c
        return {}
    if parts == ["canaries"] and method == "POST":
        names = body.get("Names")
        return {"Canaries": [_view(c) for k, c in sorted(_CANARIES.items())
                             if k[:2] == (account, region) and (not names or c["name"] in names)]}
    if parts[0] == "tags" and len(parts) == 2:
        name = parts[1].rsplit(":canary:", 1)[-1]
        c = _canary((account, region, name))
        if method == "GET":
            return {"Tags": dict(c["tags"])}
        if method == "POST":
            c["tags"].update(body.get("Tags", {}))
        elif method == "DELETE":
            from urllib.parse import parse_qs

            for k in parse_qs(urlparse(full_url).query).get("tagKeys", []):
                c["tags"].pop(k, None)
        return {}
    if parts[0] == "canary" and len(parts) >= 2:
        key = (account, region, parts[1])
        c = _canary(key)
        action = parts[2] if len(parts) == 3 else method
        if action == "GET":
            return {"Canary": _view(c)}
        _settled(c, action)
        if action == "PATCH":
            c["after_update"] = c["state"]
            _apply_settings(c, body)
            c["state"] = "UPDATING"
        elif action == "start":
            if c["state"] == "RUNNING":
                raise _Error(409, "ConflictException", "Canary %s is already running" % c["name"])
            c["state"] = "STARTING"
        elif action == "stop":
            if c["state"] != "RUNNING":
                raise _Error(409, "ConflictException", "Canary %s is not running" % c["name"])
            c["state"] = "STOPPING"
        elif action == "DELETE":
            if c["state"] == "RUNNING":
                raise _Error(409, "ConflictException", "Canary %s is running: stop it first" % c["name"])
            del _CANARIES[key]
        return {}
    raise _Error(404, "ResourceNotFoundException", "No route for %s %s" % (method, full_url))


def _handler(request, full_url, headers):  # noqa: ARG001 (moto's route signature)
    try:
        with _LOCK:
            body = _route(request, full_url)
    except _Error as err:
        return err.status, {"Content-Type": "application/json", "x-amzn-ErrorType": err.code}, json.dumps({"message": err.message})
    return 200, {"Content-Type": "application/json"}, json.dumps(body, default=str)


def reset() -> None:
    _CANARIES.clear()


def apply() -> None:
    """Put the routes on moto's Synthetics backend (before the server builds its app)."""
    from moto.synthetics import urls

    urls.url_paths.clear()
    for route in ("{0}/canary$", "{0}/canary/(?P<name>[^/]+)$", "{0}/canary/(?P<name>[^/]+)/(?P<action>start|stop)$",
                  "{0}/canaries$", "{0}/tags/(?P<resourceArn>.+)$"):
        urls.url_paths[route] = _handler
