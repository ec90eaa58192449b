"""Real-AWS behaviours that moto forgives, injected into the lab's emulator.

A playbook that passes against plain moto can still fail on its first run in a real account.
These faults make the lab fail the same way, so the roles must cope with them:

``iam``
    A new IAM role (or instance profile) cannot be used for the first seconds: ``CreateFlowLogs``
    answers ``InvalidParameter: Unable to assume given IAM role`` and ``RunInstances`` answers
    ``InvalidParameterValue ... Invalid IAM Instance Profile name``, as AWS does until IAM has
    propagated the role. The lab's EKS backend (eks_extra) refuses it too: ``CreateCluster``
    (``could not be assumed``), ``CreateAccessEntry`` (``invalid principal``), and add-ons' and
    Pod Identity associations' roles (``cannot be found``), all ``InvalidParameterException``.
``peering``
    A new peering connection stays ``initiating-request`` for a few seconds; accepting it then
    fails with ``InvalidStateTransition``.
``eni``
    An interface endpoint's network interfaces linger after the endpoint is deleted; while they
    do, deleting their subnet or security group fails with ``DependencyViolation``.

All are on by default. ``EKS_LAB_FAULTS=off`` turns them off, ``EKS_LAB_FAULTS=iam,eni`` picks
some; ``EKS_LAB_FAULT_SECONDS`` (default 8) is how long each lasts.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

KINDS = ("iam", "peering", "eni")
DEFAULT_SECONDS = 8.0


@dataclass
class Settings:
    """Which faults are on, and for how long each lasts (seconds)."""

    kinds: frozenset = frozenset(KINDS)
    seconds: float = DEFAULT_SECONDS
    # what the faults remember: IAM names by creation time, peering connections and lingering ENIs
    born: dict = field(default_factory=dict)
    initiating: dict = field(default_factory=dict)
    lingering: dict = field(default_factory=dict)

    def on(self, kind: str) -> bool:
        return kind in self.kinds


def settings_from_env(environ=None) -> Settings:
    """Parse EKS_LAB_FAULTS / EKS_LAB_FAULT_SECONDS (of os.environ unless given); an unknown fault
    name is an error."""
    environ = os.environ if environ is None else environ
    raw = environ.get("EKS_LAB_FAULTS", "on").strip().lower()
    if raw in ("on", "all", ""):
        kinds = frozenset(KINDS)
    elif raw in ("off", "none"):
        kinds = frozenset()
    else:
        kinds = frozenset(k.strip() for k in raw.split(",") if k.strip())
        unknown = sorted(kinds - set(KINDS))
        if unknown:
            raise ValueError(f"EKS_LAB_FAULTS: unknown fault(s) {', '.join(unknown)}; known: {', '.join(KINDS)}, on, off")
    return Settings(kinds=kinds, seconds=float(environ.get("EKS_LAB_FAULT_SECONDS", DEFAULT_SECONDS)))


SETTINGS = Settings()
clock = time.monotonic  # tests replace it to move time without sleeping


def _young(key) -> bool:
    born = SETTINGS.born.get(key)
    return born is not None and clock() - born < SETTINGS.seconds


def _patch_iam() -> None:
    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.responses.flow_logs import FlowLogs
    from moto.ec2.responses.instances import InstanceResponse
    from moto.iam.models import IAMBackend

    orig_create_role = IAMBackend.create_role
    orig_create_profile = IAMBackend.create_instance_profile
    orig_add_role = IAMBackend.add_role_to_instance_profile

    def create_role(self, *args, **kwargs):  # noqa: ANN001
        role = orig_create_role(self, *args, **kwargs)
        SETTINGS.born[("role", role.name)] = clock()
        return role

    def create_instance_profile(self, *args, **kwargs):  # noqa: ANN001
        profile = orig_create_profile(self, *args, **kwargs)
        SETTINGS.born[("profile", profile.name)] = clock()
        return profile

    def add_role_to_instance_profile(self, profile_name, role_name):  # noqa: ANN001
        orig_add_role(self, profile_name, role_name)
        SETTINGS.born[("profile", profile_name)] = clock()

    IAMBackend.create_role = create_role
    IAMBackend.create_instance_profile = create_instance_profile
    IAMBackend.add_role_to_instance_profile = add_role_to_instance_profile

    orig_flow_logs = FlowLogs.create_flow_logs

    def create_flow_logs(self):  # noqa: ANN001
        arn = self._get_param("DeliverLogsPermissionArn")
        if SETTINGS.on("iam") and arn and _young(("role", arn.rsplit("/", 1)[-1])):
            raise EC2ClientError("InvalidParameter", f"Unable to assume given IAM role: {arn}")
        return orig_flow_logs(self)

    FlowLogs.create_flow_logs = create_flow_logs

    orig_run = InstanceResponse.run_instances

    def run_instances(self):  # noqa: ANN001
        name = self._get_param("IamInstanceProfile.Name")
        arn = self._get_param("IamInstanceProfile.Arn")
        profile = name or (arn.rsplit("/", 1)[-1] if arn else None)
        if SETTINGS.on("iam") and profile and _young(("profile", profile)):
            param, value = ("name", name) if name else ("arn", arn)
            raise EC2ClientError("InvalidParameterValue", f"Value ({value}) for parameter iamInstanceProfile.{param} "
                                 f"is invalid. Invalid IAM Instance Profile {param}")
        return orig_run(self)

    InstanceResponse.run_instances = run_instances


def _patch_peering() -> None:
    from moto.ec2.models.vpc_peering_connections import VPCPeeringConnectionBackend

    orig_create = VPCPeeringConnectionBackend.create_vpc_peering_connection
    orig_get = VPCPeeringConnectionBackend.get_vpc_peering_connection
    orig_describe = VPCPeeringConnectionBackend.describe_vpc_peering_connections

    def _settle():
        for pcx, born in list(SETTINGS.initiating.items()):
            if clock() - born >= SETTINGS.seconds or not SETTINGS.on("peering"):
                if pcx._status.code == "initiating-request":
                    pcx._status.pending()
                del SETTINGS.initiating[pcx]

    def create_vpc_peering_connection(self, *args, **kwargs):  # noqa: ANN001
        pcx = orig_create(self, *args, **kwargs)
        if SETTINGS.on("peering"):
            pcx._status.initiating()
            SETTINGS.initiating[pcx] = clock()
        return pcx

    def get_vpc_peering_connection(self, vpc_pcx_id):  # noqa: ANN001
        _settle()
        return orig_get(self, vpc_pcx_id)

    def describe_vpc_peering_connections(self, *args, **kwargs):  # noqa: ANN001
        _settle()
        return orig_describe(self, *args, **kwargs)

    VPCPeeringConnectionBackend.create_vpc_peering_connection = create_vpc_peering_connection
    VPCPeeringConnectionBackend.get_vpc_peering_connection = get_vpc_peering_connection
    VPCPeeringConnectionBackend.describe_vpc_peering_connections = describe_vpc_peering_connections


def _patch_eni() -> None:
    from moto.ec2.exceptions import DependencyViolationError
    from moto.ec2.models.elastic_network_interfaces import NetworkInterfaceBackend
    from moto.ec2.models.security_groups import SecurityGroupBackend
    from moto.ec2.models.subnets import SubnetBackend
    from moto.ec2.models.vpcs import VPCBackend

    orig_delete_endpoints = VPCBackend.delete_vpc_endpoints
    orig_get_enis = NetworkInterfaceBackend.get_all_network_interfaces
    orig_delete_subnet = SubnetBackend.delete_subnet
    orig_delete_group = SecurityGroupBackend.delete_security_group

    def _settle(backend):
        for (owner, eni_id), (born, _subnet, _groups) in list(SETTINGS.lingering.items()):
            if owner is backend and (clock() - born >= SETTINGS.seconds or not SETTINGS.on("eni")):
                backend.enis.pop(eni_id, None)
                del SETTINGS.lingering[(owner, eni_id)]

    def _blocker(backend, subnet_id=None, group_id=None):
        _settle(backend)
        for (owner, eni_id), (_born, subnet, groups) in SETTINGS.lingering.items():
            if owner is backend and (subnet == subnet_id or group_id in groups):
                return eni_id
        return None

    def delete_vpc_endpoints(self, vpce_ids=None):  # noqa: ANN001
        if SETTINGS.on("eni"):
            for vpce_id in vpce_ids or []:
                vpce = self.vpc_end_points.get(vpce_id)
                if vpce is None or (vpce.vpc_endpoint_type or "").lower() != "interface":
                    continue
                for eni_id in vpce.network_interface_ids:
                    eni = self.enis.get(eni_id)
                    if eni is not None:
                        SETTINGS.lingering[(self, eni_id)] = (clock(), eni.subnet.id, set(vpce.security_group_ids or []))
                vpce.network_interface_ids = []
        return orig_delete_endpoints(self, vpce_ids)

    def get_all_network_interfaces(self, *args, **kwargs):  # noqa: ANN001
        _settle(self)
        return orig_get_enis(self, *args, **kwargs)

    def delete_subnet(self, subnet_id):  # noqa: ANN001
        eni = _blocker(self, subnet_id=subnet_id)
        if eni:
            raise DependencyViolationError(f"The subnet '{subnet_id}' has dependencies and cannot be deleted.")
        return orig_delete_subnet(self, subnet_id)

    def delete_security_group(self, name=None, group_id=None):  # noqa: ANN001
        if group_id and _blocker(self, group_id=group_id):
            raise DependencyViolationError(f"resource {group_id} has a dependent object")
        return orig_delete_group(self, name=name, group_id=group_id)

    VPCBackend.delete_vpc_endpoints = delete_vpc_endpoints
    NetworkInterfaceBackend.get_all_network_interfaces = get_all_network_interfaces
    SubnetBackend.delete_subnet = delete_subnet
    SecurityGroupBackend.delete_security_group = delete_security_group


_APPLIED = {"done": False}


def apply(settings: Settings) -> None:
    """Install the fault patches once (they read SETTINGS on every call, so tests can switch them)."""
    SETTINGS.kinds, SETTINGS.seconds = settings.kinds, settings.seconds
    if _APPLIED["done"]:
        return
    _patch_iam()
    _patch_peering()
    _patch_eni()
    _APPLIED["done"] = True
