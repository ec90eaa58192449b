"""EKS APIs moto lacks - add-ons, access entries, Pod Identity associations - as a small in-memory
backend of the lab's emulator, so the collection's EKS modules run against it over the wire.

Only what the modules use, shaped as botocore's model says (tests/unit/test_lab_eks.py drives it
with boto3): add-ons become ACTIVE at once and own the Pod Identity associations they are given;
an access entry's policies carry their scope; every call on a cluster moto does not know answers
ResourceNotFoundException. Not modelled: add-on versions and configuration schemas (any version
and any JSON are accepted), Kubernetes itself.
"""
from __future__ import annotations

import json
import threading
import uuid
from datetime import datetime, timezone
from urllib.parse import parse_qs, unquote, urlparse

_LOCK = threading.Lock()
# (account, region, cluster, its creation) -> {"addons": {name: addon}, "entries": {principal: entry}, "pods": {id: assoc}}
_STATE: dict = {}


class _Error(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _now() -> float:
    return datetime.now(timezone.utc).timestamp()


def _cluster(request, full_url: str) -> tuple[dict, dict, list[str]]:
    """(the cluster as moto knows it, its extra state, the path's parts after the cluster name)."""
    from moto.core.responses import BaseResponse
    from moto.eks.models import eks_backends

    parts = [unquote(p) for p in urlparse(full_url).path.split("/")[1:]]
    who = BaseResponse(service_name="eks")
    who.setup_class(request, full_url, dict(request.headers))  # region and account as moto reads them
    region, account = who.region, who.current_account
    backend = eks_backends[account][region]
    name = parts[1]
    if name not in backend.clusters:
        raise _Error(404, "ResourceNotFoundException", "No cluster found for name: %s." % name)
    cluster = backend.clusters[name]
    # keyed by the cluster's creation too: after a moto reset, a new cluster of the same name starts empty
    key = (account, region, name, str(getattr(cluster, "creation_date", "")))
    state = _STATE.setdefault(key, {"addons": {}, "entries": {}, "pods": {}})
    return ({"name": name, "arn": cluster.arn, "account": account, "region": region, "moto": cluster},
            state, parts[2:])


def _arn(cluster: dict, kind: str, *parts: str) -> str:
    """An ARN beside the cluster's (same partition, region and account)."""
    prefix = cluster["arn"].split(":cluster/")[0]
    return "%s:%s/%s" % (prefix, kind, "/".join((cluster["name"],) + parts))


def _body(request) -> dict:
    return json.loads(request.data or b"{}")


def _query(full_url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(full_url).query).items()}


def _not_propagated(arn: str) -> bool:
    """Whether the lab's `iam` fault holds this role back, as IAM's propagation delay does on AWS."""
    from . import faults

    return bool(arn) and faults.SETTINGS.on("iam") and faults._young(("role", arn.rsplit("/", 1)[-1]))  # pylint: disable=protected-access


def _refuse_young_roles(*arns: str) -> None:
    for arn in arns:
        if _not_propagated(arn):
            raise _Error(400, "InvalidParameterException", "The role with name %s cannot be found." % arn.rsplit("/", 1)[-1])


def _pod_association(cluster, state, namespace, service_account, role_arn, owner=None, tags=None,
                     disable_session_tags=False) -> dict:
    for assoc in state["pods"].values():
        if assoc["namespace"] == namespace and assoc["serviceAccount"] == service_account:
            raise _Error(409, "ResourceInUseException",
                         "Association already exists for %s/%s" % (namespace, service_account))
    aid = "a-" + uuid.uuid4().hex[:17]
    assoc = {"clusterName": cluster["name"], "namespace": namespace, "serviceAccount": service_account,
             "roleArn": role_arn, "associationId": aid, "tags": tags or {}, "disableSessionTags": disable_session_tags,
             "associationArn": _arn(cluster, "podidentityassociation", aid),
             "createdAt": _now(), "modifiedAt": _now()}
    if owner:
        assoc["ownerArn"] = owner
    state["pods"][aid] = assoc
    return assoc


def _addon_view(addon: dict, state: dict) -> dict:
    view = dict(addon)
    view["podIdentityAssociations"] = [a["associationArn"] for a in state["pods"].values()
                                       if a.get("ownerArn") == addon["addonArn"]]
    return view


def _addons(request, full_url, method, cluster, state, rest):
    addons = state["addons"]
    if not rest:
        if method == "GET":
            return {"addons": sorted(addons)}
        body = _body(request)
        name = body["addonName"]
        if name in addons:
            raise _Error(409, "ResourceInUseException", "Addon already exists: %s" % name)
        _refuse_young_roles(*[a["roleArn"] for a in body.get("podIdentityAssociations") or []])
        addon = {"addonName": name, "clusterName": cluster["name"], "status": "ACTIVE",
                 "addonVersion": body.get("addonVersion") or "v0.0.0-eksbuild.1", "health": {"issues": []},
                 "addonArn": _arn(cluster, "addon", name, uuid.uuid4().hex[:8]),
                 "createdAt": _now(), "modifiedAt": _now(), "tags": body.get("tags") or {}}
        for key in ("serviceAccountRoleArn", "configurationValues"):
            if body.get(key):
                addon[key] = body[key]
        addons[name] = addon
        for pia in body.get("podIdentityAssociations") or []:
            _pod_association(cluster, state, "kube-system", pia["serviceAccount"], pia["roleArn"], owner=addon["addonArn"])
        return {"addon": _addon_view(addon, state)}
    name = rest[0]
    if name not in addons:
        raise _Error(404, "ResourceNotFoundException", "No addon: %s found in cluster: %s" % (name, cluster["name"]))
    addon = addons[name]
    if method == "GET":
        return {"addon": _addon_view(addon, state)}
    if method == "DELETE":
        view = _addon_view(addon, state)
        del addons[name]
        for aid in [a for a, v in state["pods"].items() if v.get("ownerArn") == addon["addonArn"]]:
            del state["pods"][aid]
        return {"addon": dict(view, status="DELETING")}
    body = _body(request)  # POST .../update
    _refuse_young_roles(*[a["roleArn"] for a in body.get("podIdentityAssociations") or []])
    for key in ("addonVersion", "configurationValues", "serviceAccountRoleArn"):
        if key in body:
            if body[key]:
                addon[key] = body[key]
            else:
                addon.pop(key, None)
    if "podIdentityAssociations" in body:
        for aid in [a for a, v in state["pods"].items() if v.get("ownerArn") == addon["addonArn"]]:
            del state["pods"][aid]
        for pia in body["podIdentityAssociations"]:
            _pod_association(cluster, state, "kube-system", pia["serviceAccount"], pia["roleArn"], owner=addon["addonArn"])
    addon["modifiedAt"] = _now()
    return {"update": {"id": uuid.uuid4().hex, "status": "Successful", "type": "AddonUpdate", "params": [],
                       "createdAt": _now(), "errors": []}}


def _entries(request, full_url, method, cluster, state, rest):
    entries = state["entries"]
    if not rest:
        if method == "GET":
            return {"accessEntries": sorted(entries)}
        body = _body(request)
        principal = body["principalArn"]
        if _not_propagated(principal):
            raise _Error(400, "InvalidParameterException", "The specified principalArn is invalid: invalid principal")
        if principal in entries:
            raise _Error(409, "ResourceInUseException", "The specified access entry resource is already in use on this cluster.")
        entries[principal] = {
            "clusterName": cluster["name"], "principalArn": principal, "kubernetesGroups": body.get("kubernetesGroups") or [],
            "accessEntryArn": _arn(cluster, "access-entry", uuid.uuid4().hex[:8]),
            "createdAt": _now(), "modifiedAt": _now(), "tags": body.get("tags") or {},
            "username": body.get("username") or principal, "type": body.get("type") or "STANDARD", "policies": {}}
        return {"accessEntry": _entry_view(entries[principal])}
    principal = rest[0]
    if principal not in entries:
        raise _Error(404, "ResourceNotFoundException", "The specified principalArn could not be found.")
    entry = entries[principal]
    if len(rest) == 1:
        if method == "GET":
            return {"accessEntry": _entry_view(entry)}
        if method == "DELETE":
            del entries[principal]
            return {}
        body = _body(request)
        for key in ("kubernetesGroups", "username"):
            if key in body:
                entry[key] = body[key]
        entry["modifiedAt"] = _now()
        return {"accessEntry": _entry_view(entry)}
    if method == "GET":
        return {"clusterName": cluster["name"], "principalArn": principal,
                "associatedAccessPolicies": [dict(v, policyArn=k) for k, v in sorted(entry["policies"].items())]}
    if method == "DELETE":
        entry["policies"].pop(rest[2], None)
        return {}
    body = _body(request)
    entry["policies"][body["policyArn"]] = {"accessScope": body["accessScope"], "associatedAt": _now(), "modifiedAt": _now()}
    return {"clusterName": cluster["name"], "principalArn": principal,
            "associatedAccessPolicy": dict(entry["policies"][body["policyArn"]], policyArn=body["policyArn"])}


def _entry_view(entry: dict) -> dict:
    return {k: v for k, v in entry.items() if k != "policies"}


def _pods(request, full_url, method, cluster, state, rest):
    pods = state["pods"]
    if not rest:
        if method == "GET":
            q = _query(full_url)
            found = [a for a in pods.values() if a["namespace"] == q.get("namespace", a["namespace"])
                     and a["serviceAccount"] == q.get("serviceAccount", a["serviceAccount"])]
            return {"associations": [{k: a[k] for k in ("clusterName", "namespace", "serviceAccount", "associationArn",
                                                        "associationId", "ownerArn") if k in a} for a in found]}
        body = _body(request)
        _refuse_young_roles(body["roleArn"])
        return {"association": _pod_association(cluster, state, body["namespace"], body["serviceAccount"], body["roleArn"],
                                                tags=body.get("tags"), disable_session_tags=body.get("disableSessionTags", False))}
    aid = rest[0]
    if aid not in pods:
        raise _Error(404, "ResourceNotFoundException", "Association not found: %s" % aid)
    assoc = pods[aid]
    if method == "GET":
        return {"association": assoc}
    if method == "DELETE":
        return {"association": pods.pop(aid)}
    body = _body(request)
    _refuse_young_roles(body.get("roleArn", ""))
    for key in ("roleArn", "disableSessionTags"):
        if key in body:
            assoc[key] = body[key]
    assoc["modifiedAt"] = _now()
    return {"association": assoc}


_AUTH_ORDER = ["CONFIG_MAP", "API_AND_CONFIG_MAP", "API"]


def _new_update(state, type_, params, target="") -> dict:
    """An update is InProgress until it is first described, as on AWS where it takes minutes; while
    one is InProgress the cluster (or node group: target) refuses the next (ResourceInUseException),
    so a module must wait."""
    if any(u["status"] == "InProgress" and u["target"] == target for u in state.setdefault("updates", {}).values()):
        raise _Error(409, "ResourceInUseException", "%s has update in progress" % ("Nodegroup" if target else "Cluster"))
    update = {"id": str(uuid.uuid4()), "status": "InProgress", "type": type_, "createdAt": _now(), "errors": [],
              "params": [{"type": k, "value": v} for k, v in params], "target": target}
    state["updates"][update["id"]] = update
    return {"update": {k: v for k, v in update.items() if k != "target"}}


def _config(request, full_url, method, cluster, state, rest):
    """UpdateClusterConfig (moto's replaces the whole VPC config and answers a cluster, not an update),
    AssociateEncryptionConfig, UpdateClusterVersion and DescribeUpdate/ListUpdates."""
    moto = cluster["moto"]
    body = _body(request) if method == "POST" else {}
    kind = rest[0]
    if kind == "update-config":
        if "accessConfig" in body:
            have = (getattr(moto, "access_config", None) or {}).get("authenticationMode", "CONFIG_MAP")
            want = body["accessConfig"].get("authenticationMode", have)
            if _AUTH_ORDER.index(want) < _AUTH_ORDER.index(have):
                raise _Error(400, "InvalidParameterException",
                             "Unsupported authentication mode update from %s to %s" % (have, want))
            answer = _new_update(state, "AccessConfigUpdate", [("AuthenticationMode", want)])
            moto.access_config = {"authenticationMode": want}
            return answer
        if "logging" in body:  # EKS changes only the types named, the others stay as they are
            answer = _new_update(state, "LoggingUpdate", [("ClusterLogging", json.dumps(body["logging"]))])
            types = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
            on = set(t for s in (moto.logging or {}).get("clusterLogging", []) if s.get("enabled") for t in s.get("types", []))
            for setup in body["logging"].get("clusterLogging", []):
                on = (on | set(setup.get("types", []))) if setup.get("enabled") else (on - set(setup.get("types", [])))
            moto.logging = {"clusterLogging": [s for s in ({"types": [t for t in types if t in on], "enabled": True},
                                                           {"types": [t for t in types if t not in on], "enabled": False})
                                               if s["types"]]}
            return answer
        vpc = body.get("resourcesVpcConfig") or {}
        if not vpc:
            raise _Error(400, "InvalidParameterException", "No changes needed for the logging config provided")
        answer = _new_update(state, "EndpointAccessUpdate", [(k, json.dumps(v)) for k, v in sorted(vpc.items())])
        moto.resources_vpc_config.update(vpc)
        return answer
    if kind == "encryption-config":
        if moto.encryption_config:
            raise _Error(400, "InvalidRequestException", "Encryption is already enabled on the cluster")
        answer = _new_update(state, "AssociateEncryptionConfig", [("EncryptionConfig", json.dumps(body["encryptionConfig"]))])
        moto.encryption_config = body["encryptionConfig"]
        return answer
    updates = state.setdefault("updates", {})
    if len(rest) > 1:  # DescribeUpdate
        if rest[1] not in updates:
            raise _Error(404, "ResourceNotFoundException", "No update found for ID: %s" % rest[1])
        update = {k: v for k, v in updates[rest[1]].items() if k != "target"}
        updates[rest[1]]["status"] = "Successful"
        return {"update": update}
    if method == "GET":
        return {"updateIds": sorted(updates)}
    have, want = [tuple(int(x) for x in v.split(".")) for v in (moto.version, body["version"])]
    if want != (have[0], have[1] + 1):
        raise _Error(400, "InvalidParameterException",
                     "Unsupported Kubernetes minor version update from %s to %s" % (moto.version, body["version"]))
    answer = _new_update(state, "VersionUpdate", [("Version", body["version"]), ("PlatformVersion", "eks.1")])
    moto.version = body["version"]
    return answer


def _nodegroup_updates(request, full_url, method, cluster, state, rest):
    """UpdateNodegroupConfig (moto's answers an update DescribeUpdate cannot find) and
    UpdateNodegroupVersion (moto has none): applied at once, reported InProgress until described."""
    name = rest[1]
    groups = cluster["moto"].nodegroups
    if name not in groups:
        raise _Error(404, "ResourceNotFoundException", "No node group found for name: %s." % name)
    group, body = groups[name], _body(request)
    if rest[2] == "update-config":
        answer = _new_update(state, "ConfigUpdate", [(k, json.dumps(v)) for k, v in sorted(body.items())
                                                     if k in ("scalingConfig", "labels", "updateConfig")], target=name)
        if body.get("scalingConfig"):
            group.scaling_config = dict(group.scaling_config, **body["scalingConfig"])
        labels = body.get("labels") or {}
        group.labels = dict((k, v) for k, v in dict(group.labels or {}, **labels.get("addOrUpdateLabels", {})).items()
                            if k not in labels.get("removeLabels", []))
        if body.get("updateConfig"):
            group.update_config = body["updateConfig"]
        return answer
    answer = _new_update(state, "VersionUpdate", [(k, json.dumps(v)) for k, v in sorted(body.items())
                                                  if k in ("version", "releaseVersion", "launchTemplate")], target=name)
    if body.get("version"):
        group.version = body["version"]
    if body.get("releaseVersion"):
        group.release_version = body["releaseVersion"]
    if body.get("launchTemplate"):
        group.launch_template = dict(group.launch_template or {}, **body["launchTemplate"])
    return answer


_CA: list = []


def _cluster_ca() -> str:
    """A self-signed "kubernetes" CA certificate, base64 PEM as EKS's certificateAuthority.data (moto's is a
    random string, which no kubeconfig accepts). One per emulator process: no key is ever used."""
    if not _CA:
        import base64
        import datetime as dt

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes")])
        now = dt.datetime.now(dt.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now)
                .not_valid_after(now + dt.timedelta(days=3650))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .sign(key, hashes.SHA256()))
        _CA.append(base64.b64encode(cert.public_bytes(serialization.Encoding.PEM)).decode())
    return _CA[0]


def _create_cluster(original):
    """CreateCluster as AWS answers it: the access config kept, the endpoint public unless told
    otherwise, the VPC read from the subnets, and EKS's own cluster security group created (all
    traffic from itself), which DeleteCluster removes again. The endpoint and certificate
    authority look like EKS's (moto's end in a slash and are a random string)."""

    def handler(request, full_url, headers):
        if request.method != "POST":
            return original(request, full_url, headers)
        role = _body(request).get("roleArn", "")
        if _not_propagated(role):
            return _error(_Error(400, "InvalidParameterException", "Role with arn: %s, could not be assumed because it does "
                                 "not exist or the trusted entity is not correct" % role))
        status, head, text = original(request, full_url, headers)
        if status != 200:
            return status, head, text
        from moto.ec2.models import ec2_backends
        from moto.eks.models import eks_backends

        body = _body(request)
        answer = json.loads(text)
        arn = answer["cluster"]["arn"]
        account, region = arn.split(":")[4], arn.split(":")[3]
        with _LOCK:
            moto = eks_backends[account][region].clusters[body["name"]]
            moto.access_config = {"authenticationMode": (body.get("accessConfig") or {}).get("authenticationMode", "CONFIG_MAP")}
            moto.endpoint = "https://%s.gr7.%s.eks.amazonaws.com" % (uuid.uuid4().hex.upper(), region)
            moto.certificate_authority = {"data": _cluster_ca()}
            vpc = moto.resources_vpc_config
            vpc.setdefault("endpointPublicAccess", True)
            vpc.setdefault("endpointPrivateAccess", False)
            vpc.setdefault("publicAccessCidrs", ["0.0.0.0/0"])
            vpc.setdefault("securityGroupIds", [])
            ec2 = ec2_backends[account][region]
            # moto's CreateCluster accepts subnets it does not know; so does the lab (no VPC, no cluster group)
            try:
                subnets = ec2.describe_subnets(subnet_ids=vpc.get("subnetIds") or [])
            except Exception:  # pylint: disable=broad-except
                subnets = []
            if subnets:
                vpc["vpcId"] = subnets[0].vpc_id
                group = ec2.create_security_group(
                    "eks-cluster-sg-%s-%s" % (body["name"], uuid.uuid4().hex[:8]),
                    "EKS created security group applied to ENI that is attached to EKS Control Plane master nodes, "
                    "as well as any managed workloads.", vpc_id=subnets[0].vpc_id,
                    tags={"aws:eks:cluster-name": body["name"], "kubernetes.io/cluster/" + body["name"]: "owned"})
                ec2.authorize_security_group_ingress(group.id, "-1", None, None, [], source_groups=[{"GroupId": group.id}])
                vpc["clusterSecurityGroupId"] = group.id
            answer["cluster"]["resourcesVpcConfig"] = vpc
            answer["cluster"]["accessConfig"] = moto.access_config
            answer["cluster"]["endpoint"] = moto.endpoint
            answer["cluster"]["certificateAuthority"] = moto.certificate_authority
        return status, head, json.dumps(answer, default=str)

    return handler


def _delete_cluster(original):
    def handler(request, full_url, headers):
        if request.method != "DELETE":
            return original(request, full_url, headers)
        status, head, text = original(request, full_url, headers)
        if status == 200:
            from moto.ec2.models import ec2_backends

            cluster = json.loads(text)["cluster"]
            arn = cluster["arn"]
            group = (cluster.get("resourcesVpcConfig") or {}).get("clusterSecurityGroupId")
            if group:
                ec2_backends[arn.split(":")[4]][arn.split(":")[3]].delete_security_group(group_id=group)
        return status, head, text

    return handler


def _create_nodegroup(original):
    """CreateNodegroup as AWS answers it: the update config always reported (moto omits it), no remote
    access unless asked for (moto invents an SSH key), and the cluster's Kubernetes version by default."""

    def handler(request, full_url, headers):
        status, head, text = original(request, full_url, headers)
        if request.method == "POST" and status == 200:
            from moto.eks.models import eks_backends

            answer = json.loads(text)
            arn = answer["nodegroup"]["nodegroupArn"]
            with _LOCK:
                cluster = eks_backends[arn.split(":")[4]][arn.split(":")[3]].clusters[answer["nodegroup"]["clusterName"]]
                group = cluster.nodegroups[answer["nodegroup"]["nodegroupName"]]
                body = _body(request)
                group.update_config = body.get("updateConfig") or {"maxUnavailable": 1}
                group.remote_access = body.get("remoteAccess")
                group.version = body.get("version") or cluster.version
                answer["nodegroup"].update(updateConfig=group.update_config, version=group.version)
                if not group.remote_access:
                    answer["nodegroup"].pop("remoteAccess", None)
            return status, head, json.dumps(answer, default=str)
        return status, head, text

    return handler


def _tags(original):
    """Tag add-ons and node groups here; clusters as moto does."""

    def handler(request, full_url, headers):
        arn = unquote(urlparse(full_url).path.split("/tags/", 1)[1])
        if ":addon/" not in arn and ":nodegroup/" not in arn:
            return original(request, full_url, headers)
        with _LOCK:
            if ":nodegroup/" in arn:  # moto tags clusters only: its node groups keep their tags here
                from moto.eks.models import eks_backends

                backend = eks_backends[arn.split(":")[4]][arn.split(":")[3]]
                addon = [{"tags": g.tags} for c in backend.clusters.values() for g in c.nodegroups.values() if g.arn == arn]
            else:
                addon = [a for s in _STATE.values() for a in s["addons"].values() if a["addonArn"] == arn]
            if not addon:
                return _error(_Error(404, "ResourceNotFoundException", "Resource not found: %s" % arn))
            if request.method == "POST":
                addon[0]["tags"].update(_body(request).get("tags") or {})
            elif request.method == "DELETE":
                for key in parse_qs(urlparse(full_url).query).get("tagKeys", []):
                    addon[0]["tags"].pop(key, None)
            else:
                return 200, {"Content-Type": "application/json"}, json.dumps({"tags": addon[0]["tags"]})
        return 200, {"Content-Type": "application/json"}, "{}"

    return handler


def _error(err: _Error):
    return err.status, {"Content-Type": "application/json", "x-amzn-ErrorType": err.code}, json.dumps(
        {"message": err.message})


def _handler(kind, whole_path=False):
    """kind(request, url, method, cluster, state, rest): rest is the path after .../clusters/<name>/<kind>
    (after .../clusters/<name> with whole_path)."""
    def handler(request, full_url, headers):
        try:
            with _LOCK:
                cluster, state, rest = _cluster(request, full_url)
                body = kind(request, full_url, request.method, cluster, state, rest if whole_path else rest[1:])
        except _Error as err:
            return _error(err)
        return 200, {"Content-Type": "application/json"}, json.dumps(body, default=str)

    return handler


def apply() -> None:
    """Add the routes to moto's EKS backend (before the server builds its EKS app)."""
    from moto.eks import urls

    cluster = r"{0}/clusters/(?P<name>[^/]+)/"
    # greedy: a principal ARN's slashes arrive decoded; _cluster splits the raw URL itself
    for kind, handler in (("addons", _addons), ("access-entries", _entries), ("pod-identity-associations", _pods)):
        urls.url_paths[cluster + kind + "$"] = _handler(handler)
        urls.url_paths[cluster + kind + "/(?P<rest>.+)$"] = _handler(handler)
    for kind in ("update-config", "encryption-config/associate", "updates"):
        urls.url_paths[cluster + kind + "$"] = _handler(_config, whole_path=True)
    urls.url_paths[cluster + "updates/(?P<rest>[^/]+)$"] = _handler(_config, whole_path=True)
    key = r"{0}/clusters$"
    urls.url_paths[key] = _create_cluster(urls.url_paths[key])
    key = r"{0}/clusters/(?P<name>[^/]+)$"
    urls.url_paths[key] = _delete_cluster(urls.url_paths[key])
    for kind in ("update-config", "update-version"):
        route = cluster + r"node-groups/(?P<nodegroupName>[^/]+)/" + kind + "$"
        urls.url_paths[route] = _handler(_nodegroup_updates, whole_path=True)
    key = r"{0}/clusters/(?P<name>[^/]+)/node-groups$"
    urls.url_paths[key] = _create_nodegroup(urls.url_paths[key])
    key = r"{0}/tags/(?P<resourceArn>.+)$"
    urls.url_paths[key] = _tags(urls.url_paths[key])
