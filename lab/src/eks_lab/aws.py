"""Lifecycle of the local AWS emulator (a moto server on 127.0.0.1)."""
from __future__ import annotations

import json
import os
import urllib.request

from . import procs

DEFAULT_PORT = int(os.environ.get("EKS_LAB_MOTO_PORT", "5055"))


def endpoint(port: int = DEFAULT_PORT) -> str:
    return f"http://127.0.0.1:{port}"


def env(port: int = DEFAULT_PORT) -> dict[str, str]:
    """Environment that points boto3 and every amazon.aws module at the emulator."""
    return {
        "AWS_ENDPOINT_URL": endpoint(port),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": os.environ.get("AWS_REGION", "us-east-1"),
        "AWS_DEFAULT_REGION": os.environ.get("AWS_REGION", "us-east-1"),
    }


def _alive(port: int) -> bool:
    return procs.http_ok(endpoint(port) + "/eks-lab/calls")


def _name(port: int) -> str:
    return f"moto-{port}"


def status(port: int = DEFAULT_PORT) -> dict:
    st = {"endpoint": endpoint(port), "running": _alive(port), "pid": procs.pid(_name(port))}
    if st["running"]:
        with urllib.request.urlopen(endpoint(port) + "/eks-lab/calls", timeout=5) as r:
            st["faults"] = json.load(r)["faults"]
    return st


def up(port: int = DEFAULT_PORT, timeout: float = 60, faults: str | None = None) -> dict:
    """Start the emulator unless one already answers on the port (idempotent).

    faults: which real-AWS faults it injects (eks_lab.faults): "on" (the default, also from
    EKS_LAB_FAULTS), "off", or a comma list such as "iam,eni"."""
    env = {"MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}
    if faults is not None:
        env["EKS_LAB_FAULTS"] = faults
    started = procs.start(_name(port), ["eks_lab.moto_patched", "-H", "127.0.0.1", "-p", str(port)],
                          lambda: _alive(port), env=env, timeout=timeout)
    return status(port) | {"started": started}


def down(port: int = DEFAULT_PORT) -> dict:
    return {"stopped": procs.stop(_name(port), lambda: _alive(port)), "running": _alive(port)}


def reset(port: int = DEFAULT_PORT) -> None:
    """Wipe all emulated state (moto's reset API)."""
    req = urllib.request.Request(endpoint(port) + "/moto-api/reset", method="POST")
    urllib.request.urlopen(req, timeout=10).read()


def call_count(port: int = DEFAULT_PORT) -> int:
    """Number of AWS API requests the emulator answered (counted by our wrapper)."""
    with urllib.request.urlopen(endpoint(port) + "/eks-lab/calls", timeout=5) as r:
        return json.load(r)["calls"]


def stack_resources(stack: str, region: str = "us-east-1", port: int = DEFAULT_PORT) -> dict[str, list[str]]:
    """IDs of every live resource of a stack in the emulator, by kind (tags, names, prefixes)."""
    import boto3

    kw = dict(region_name=region, endpoint_url=endpoint(port),
              aws_access_key_id="testing", aws_secret_access_key="testing")
    ec2 = boto3.client("ec2", **kw)
    f = [{"Name": "tag:devsecops:stack", "Values": [stack]}]
    out = {
        "vpcs": [v["VpcId"] for v in ec2.describe_vpcs(Filters=f)["Vpcs"]],
        "subnets": [s["SubnetId"] for s in ec2.describe_subnets(Filters=f)["Subnets"]],
        "security_groups": [g["GroupId"] for g in ec2.describe_security_groups(Filters=f)["SecurityGroups"]],
        "route_tables": [r["RouteTableId"] for r in ec2.describe_route_tables(Filters=f)["RouteTables"]],
        "nat_gateways": [n["NatGatewayId"] for n in ec2.describe_nat_gateways(Filters=f)["NatGateways"]
                         if n["State"] not in ("deleted", "deleting")],
        "peering": [p["VpcPeeringConnectionId"] for p in ec2.describe_vpc_peering_connections(Filters=f)["VpcPeeringConnections"]
                    if p["Status"]["Code"] not in ("deleted", "rejected")],
        "internet_gateways": [i["InternetGatewayId"] for i in ec2.describe_internet_gateways(Filters=f)["InternetGateways"]],
        "elastic_ips": [a["AllocationId"] for a in ec2.describe_addresses()["Addresses"]],
        "dhcp_options": [d["DhcpOptionsId"] for d in ec2.describe_dhcp_options(Filters=f)["DhcpOptions"]],
        "vpc_endpoints": [e["VpcEndpointId"] for e in ec2.describe_vpc_endpoints(Filters=f)["VpcEndpoints"]
                          if e["State"].lower() not in ("deleted", "deleting")],
        "instances": [i["InstanceId"] for r in ec2.describe_instances(Filters=f + [
            {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}])["Reservations"]
            for i in r["Instances"]],
        "key_pairs": [k["KeyName"] for k in ec2.describe_key_pairs()["KeyPairs"]
                      if k["KeyName"].startswith(f"{stack}-{region}-")],
        "flow_logs": [fl["FlowLogId"] for fl in ec2.describe_flow_logs()["FlowLogs"]
                      if fl.get("LogGroupName", "").startswith(f"/eks-platform/{stack}/")],
    }
    logs = boto3.client("logs", **kw)
    out["log_groups"] = [g["logGroupName"] for g in logs.describe_log_groups(
        logGroupNamePrefix=f"/eks-platform/{stack}/")["logGroups"]]
    iam = boto3.client("iam", **kw)
    out["iam_roles"] = [r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"].startswith(f"{stack}-{region}-")]
    out["instance_profiles"] = [p["InstanceProfileName"] for p in iam.list_instance_profiles()["InstanceProfiles"]
                                if p["InstanceProfileName"].startswith(f"{stack}-{region}-")]
    acm = boto3.client("acm", **kw)
    out["certificates"] = [c["CertificateArn"] for c in acm.list_certificates()["CertificateSummaryList"]
                           if any(t["Key"] == "devsecops:stack" and t["Value"] == stack
                                  for t in acm.list_tags_for_certificate(CertificateArn=c["CertificateArn"]).get("Tags", []))]
    return out
