#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devsecops.eks_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: security_audit
short_description: Audit the live AWS state of an eks_platform stack against its security invariants
version_added: 1.0.0
description:
  - Reads the real state of the three VPCs of one stack (found by the C(devsecops:stack) and
    C(devsecops:vpc) tags) and checks the invariants the collection promises.
  - C(ssh_sources) - TCP 22 is open only along the one SSH path - the bastion groups (tag
    C(devsecops:role=bastion)) from the Client VPN endpoint's group (C(devsecops:role=client-vpn)),
    and the jump host groups (C(devsecops:role=jump-host)) from the bastion groups - and from
    nothing else, no CIDR included. Client VPN source-NATs client traffic to the endpoint's
    addresses, so a rule for the client CIDR (O(vpn_cidr)) matches nothing and is named as such.
    A group referencing itself (node-to-node traffic inside one group) opens no path in and is
    not a finding.
  - C(app_egress) - no App VPC route table routes to an internet gateway, NAT gateway or
    egress-only internet gateway.
  - C(security_egress) - no security VPC route table routes to an internet or NAT gateway, and its
    routes through peering connections go only to the App VPC and to the LB VPC's private (egress
    proxy) subnets - never to the LB VPC's public subnets or the whole LB VPC.
  - C(igw_placement) - only the LB VPC has an internet gateway attached.
  - C(flow_logs) - every VPC of the stack has an active flow log that delivers (a flow log whose
    C(DeliverLogsStatus) is C(FAILED), for example because its role cannot be assumed, is named).
  - C(bastion_per_az) - exactly one live bastion instance in each of O(az_count) AZs.
  - C(imdsv2) - every live instance in the stack's VPCs requires IMDSv2 tokens.
  - C(client_vpn) - every Client VPN endpoint in the security VPC has split tunnel on, logs
    connections, and authorizes only the security VPC's private (bastion) subnets. Skipped with
    O(client_vpn=false), where the Client VPN API does not exist.
  - With O(eks_clusters), each EKS cluster of the stack -
    C(eks_endpoint) the API endpoint is not public;
    C(eks_secrets_encryption) Kubernetes secrets are envelope-encrypted with KMS;
    C(eks_logging) all five control-plane log types are on;
    C(eks_placement) the cluster and its node groups are only in the App VPC's private subnets;
    C(eks_node_imdsv2) every node group runs on a launch template (version) that requires IMDSv2 with a hop limit
    of 1 (without a launch template, EKS's default allows IMDSv1 and two hops);
    C(eks_node_ssh) no node group has a remote-access SSH key;
    C(eks_security_groups) every rule of the cluster's groups is accounted for - EKS's cluster group admits only
    itself, and the control-plane group (C(devsecops:role=eks-control-plane)) admits TCP 443 only from the jump
    host and node groups and sends only to the node group.
  - With O(alarm_prefix), C(alarm_actions) - every CloudWatch alarm whose name starts with it has its actions
    enabled and at least one alarm action (an alarm that pages no one is a finding).
  - With O(lb_ports), the load balancer checks, on every ELBv2 load balancer in the stack's VPCs -
    C(lb_placement) it is only in the LB VPC's public subnets;
    C(lb_listeners) its listeners are only on O(lb_ports);
    C(lb_tls_policy) every TLS or HTTPS listener has a current policy (C(ELBSecurityPolicy-TLS13-*));
    C(lb_health_checks) every target group it forwards to has health checks on (and a path for HTTP or HTTPS);
    C(lb_targets) no target is outside the App VPC (IP targets in its CIDR, instances in it).
  - With O(dns_zone_name), C(dns_record) - the zone holds this region's record (set identifier C(<stack>-<region>))
    for O(dns_record_name), with a Route 53 health check that exists and checks the record's target.
  - The module never changes anything. Each finding names the offending resource.
author:
  - DevSecOps Platform Team (@devsecops)
options:
  stack:
    description: Value of the C(devsecops:stack) tag of the stack to audit.
    type: str
    required: true
  vpn_cidr:
    description:
      - Client VPN client CIDR. No CIDR may reach TCP 22; a rule for this one is reported with the
        reason (Client VPN source-NAT).
    type: str
  az_count:
    description: Number of AZs, each of which must hold exactly one bastion.
    type: int
    required: true
  client_vpn:
    description:
      - Audit the Client VPN endpoints. Set it to V(false) only where the Client VPN API does not
        exist (the local emulator); on AWS an error reading them fails the audit.
    type: bool
    default: true
  eks_clusters:
    description: Names of the stack's EKS clusters to audit (the C(eks_*) checks run only with some).
    type: list
    elements: str
    default: []
  alarm_prefix:
    description: Name prefix of the stack's CloudWatch alarms (the monitoring role's C(<stack>-<region>-)); the
      C(alarm_actions) check runs only with it.
    type: str
  lb_ports:
    description: The load balancers' listener ports (the edge role's); the C(lb_*) checks run only with some.
    type: list
    elements: int
    default: []
  dns_zone_name:
    description: The stack's public zone (the dns role's); the C(dns_record) check runs only with it.
    type: str
  dns_record_name:
    description: The service's name in the zone; empty is the zone apex.
    type: str
    default: ""
  fail_on_findings:
    description: Fail (naming every offending resource) when any check finds a violation.
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Audit the lab stack
  devsecops.eks_platform.security_audit:
    stack: eksplat-lab
    vpn_cidr: 172.31.128.0/22
    az_count: 3
"""

RETURN = r"""
passed:
  description: Whether no check found a violation.
  returned: always
  type: bool
findings:
  description: One entry per violation.
  returned: always
  type: list
  elements: dict
  sample:
    - check: ssh_sources
      resource: sg-0123456789abcdef0
      message: "sg-0123456789abcdef0 (jump-host) allows TCP 22 from 0.0.0.0/0"
checks:
  description: Number of findings per check that ran (0 means the check passed).
  returned: always
  type: dict
vpcs:
  description: The audited VPC IDs by tier.
  returned: always
  type: dict
"""

import ipaddress

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.devsecops.eks_platform.plugins.module_utils.ec2 import TRANSIENT_ERROR_CODES, paginate
from ansible_collections.devsecops.eks_platform.plugins.module_utils.eks import TRANSIENT_ERROR_CODES as EKS_TRANSIENT

CHECKS = ("ssh_sources", "app_egress", "security_egress", "igw_placement", "flow_logs", "bastion_per_az", "imdsv2", "client_vpn")
EKS_CHECKS = ("eks_endpoint", "eks_secrets_encryption", "eks_logging", "eks_placement", "eks_node_imdsv2", "eks_node_ssh",
              "eks_security_groups")
EKS_LOG_TYPES = {"api", "audit", "authenticator", "controllerManager", "scheduler"}
LB_CHECKS = ("lb_placement", "lb_listeners", "lb_tls_policy", "lb_health_checks", "lb_targets")
LIVE = ["pending", "running", "stopping", "stopped"]


def _tags(resource):
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


def _covers_ssh(perm):
    if perm.get("IpProtocol") == "-1":
        return True
    if perm.get("IpProtocol") not in ("tcp", "6"):
        return False
    return perm.get("FromPort", 0) <= 22 <= perm.get("ToPort", 65535)


# The one SSH path: which groups' members may reach TCP 22 of a group, by the group's role tag.
SSH_FROM = {"bastion": "client-vpn", "jump-host": "bastion", "egress-proxy": "bastion"}


def check_ssh(sgs, vpn_net):
    findings = []
    role = {sg["GroupId"]: _tags(sg).get("devsecops:role") for sg in sgs}
    for sg in sgs:
        label = "%s (%s)" % (sg["GroupId"], sg.get("GroupName"))
        allowed_role = SSH_FROM.get(role[sg["GroupId"]])
        for perm in sg.get("IpPermissions", []):
            if not _covers_ssh(perm):
                continue
            for rng in perm.get("IpRanges", []):
                src = ipaddress.ip_network(rng["CidrIp"], strict=False)
                why = ""
                if vpn_net is not None and src.version == vpn_net.version and src.subnet_of(vpn_net):
                    why = (" - the Client VPN client CIDR, which never arrives: Client VPN source-NATs to its endpoint,"
                           " so allow the endpoint's security group instead")
                findings.append((sg["GroupId"], "%s allows TCP 22 from %s%s" % (label, rng["CidrIp"], why)))
            for rng in perm.get("Ipv6Ranges", []):
                findings.append((sg["GroupId"], "%s allows TCP 22 from %s" % (label, rng["CidrIpv6"])))
            for pl in perm.get("PrefixListIds", []):
                findings.append((sg["GroupId"], "%s allows TCP 22 from prefix list %s" % (label, pl["PrefixListId"])))
            for pair in perm.get("UserIdGroupPairs", []):
                source = pair.get("GroupId")
                if source == sg["GroupId"] or (allowed_role and role.get(source) == allowed_role):
                    continue
                findings.append((sg["GroupId"], "%s allows TCP 22 from security group %s, not %s" % (
                    label, source, "a %s group" % allowed_role if allowed_role else "on the SSH path")))
    return findings


def _rules(perms):
    """Each (protocol, from, to, source) of a group's permissions."""
    for perm in perms:
        span = (perm.get("IpProtocol"), perm.get("FromPort"), perm.get("ToPort"))
        for rng in perm.get("IpRanges", []):
            yield span + (rng["CidrIp"],)
        for rng in perm.get("Ipv6Ranges", []):
            yield span + (rng["CidrIpv6"],)
        for pl in perm.get("PrefixListIds", []):
            yield span + (pl["PrefixListId"],)
        for pair in perm.get("UserIdGroupPairs", []):
            yield span + (pair.get("GroupId"),)


def check_alarm_actions(alarms):
    """Every alarm pages someone: actions enabled and at least one alarm action."""
    out = []
    for alarm in alarms:
        name = alarm["AlarmName"]
        if not alarm.get("ActionsEnabled", True):
            out.append((name, "alarm %s has its actions disabled" % name))
        elif not alarm.get("AlarmActions"):
            out.append((name, "alarm %s has no alarm action: it pages no one" % name))
    return out


def check_load_balancer(lb, listeners, target_groups, targets, lb_public_subnets, app_cidr, app_instances, ports):
    """(check, resource, message) for one load balancer. target_groups: those it forwards to; targets:
    target group ARN -> its registered targets; app_instances: IDs of the App VPC's instances."""
    name, out = lb["LoadBalancerName"], []
    subnets = sorted(z["SubnetId"] for z in lb.get("AvailabilityZones", []))
    outside = [sn for sn in subnets if sn not in lb_public_subnets]
    if outside:
        out.append(("lb_placement", name, "load balancer %s is in subnet(s) %s, outside the LB VPC's public subnets"
                    % (name, ", ".join(outside))))
    for listener in listeners:
        if listener["Port"] not in ports:
            out.append(("lb_listeners", listener["ListenerArn"], "load balancer %s listens on port %s (%s), not one of %s"
                        % (name, listener["Port"], listener["Protocol"], ports)))
        if listener["Protocol"] in ("TLS", "HTTPS") and not str(listener.get("SslPolicy")).startswith("ELBSecurityPolicy-TLS13-"):
            out.append(("lb_tls_policy", listener["ListenerArn"], "load balancer %s: the %s listener on port %s has policy %s, "
                        "not a current ELBSecurityPolicy-TLS13-* one" % (name, listener["Protocol"], listener["Port"],
                                                                         listener.get("SslPolicy"))))
    net = ipaddress.ip_network(app_cidr)
    for tg in target_groups:
        tg_name = tg["TargetGroupName"]
        if not tg.get("HealthCheckEnabled", True) or (tg.get("HealthCheckProtocol") in ("HTTP", "HTTPS") and not tg.get("HealthCheckPath")):
            out.append(("lb_health_checks", tg_name, "target group %s of load balancer %s has no health check" % (tg_name, name)))
        for target in targets.get(tg["TargetGroupArn"], []):
            tid = target["Id"]
            try:
                inside = ipaddress.ip_address(tid) in net
            except ValueError:
                inside = tid in app_instances
            if not inside:
                out.append(("lb_targets", tid, "target %s of target group %s is outside the App VPC" % (tid, tg_name)))
    return out


def check_dns_record(record_sets, identifier, name, health_check):
    """(resource, message) for this region's record among record_sets (those of its name): it exists, has a
    health check, which exists (health_check: its GetHealthCheck answer or None) and checks the record's target."""
    mine = [r for r in record_sets if r.get("SetIdentifier") == identifier]
    if not mine:
        return [(name, "no DNS record %s for %s: the region gets no traffic" % (name, identifier))]
    record = mine[0]
    if not record.get("HealthCheckId"):
        return [(name, "DNS record %s (%s) has no health check: a failed region would keep its traffic" % (name, identifier))]
    if health_check is None:
        return [(record["HealthCheckId"], "health check %s of DNS record %s (%s) does not exist" % (record["HealthCheckId"], name, identifier))]
    target = (record.get("AliasTarget") or {}).get("DNSName", "").rstrip(".").lower()
    checked = health_check.get("HealthCheckConfig", {}).get("FullyQualifiedDomainName", "").rstrip(".").lower()
    if target and checked != target:
        return [(record["HealthCheckId"], "health check %s of DNS record %s (%s) checks %s, not its target %s"
                 % (record["HealthCheckId"], name, identifier, checked or "no name", target))]
    return []


def check_eks(cluster, nodegroups, templates, app_private_subnets, sgs):
    """(check, resource, message) for one cluster. templates: {(template id, version): launch template data};
    sgs: {group id: group} of the App VPC."""
    findings = []
    name = cluster["name"]
    vpc = cluster.get("resourcesVpcConfig") or {}
    if vpc.get("endpointPublicAccess", True):
        findings.append(("eks_endpoint", name, "EKS cluster %s has a public API endpoint (from %s)"
                         % (name, ", ".join(vpc.get("publicAccessCidrs") or ["0.0.0.0/0"]))))
    if not any("secrets" in c.get("resources", []) for c in cluster.get("encryptionConfig") or []):
        findings.append(("eks_secrets_encryption", name, "EKS cluster %s does not encrypt Kubernetes secrets with KMS" % name))
    on = set(t for setup in (cluster.get("logging") or {}).get("clusterLogging", []) if setup.get("enabled")
             for t in setup.get("types", []))
    if EKS_LOG_TYPES - on:
        findings.append(("eks_logging", name, "EKS cluster %s does not log %s" % (name, ", ".join(sorted(EKS_LOG_TYPES - on)))))
    stray = sorted(set(vpc.get("subnetIds") or []) - app_private_subnets)
    if stray:
        findings.append(("eks_placement", name, "EKS cluster %s is in subnets outside the App VPC's private tier: %s"
                         % (name, ", ".join(stray))))
    for group in nodegroups:
        label = "node group %s of EKS cluster %s" % (group["nodegroupName"], name)
        stray = sorted(set(group.get("subnets") or []) - app_private_subnets)
        if stray:
            findings.append(("eks_placement", group["nodegroupArn"], "%s is in subnets outside the App VPC's private tier: %s"
                             % (label, ", ".join(stray))))
        if (group.get("remoteAccess") or {}).get("ec2SshKey"):
            findings.append(("eks_node_ssh", group["nodegroupArn"], "%s admits SSH with key pair %s"
                             % (label, group["remoteAccess"]["ec2SshKey"])))
        template = group.get("launchTemplate") or {}
        meta = (templates.get((template.get("id"), str(template.get("version")))) or {}).get("MetadataOptions") or {}
        if not template:
            findings.append(("eks_node_imdsv2", group["nodegroupArn"], "%s has no launch template: its nodes allow IMDSv1"
                             % label))
        elif meta.get("HttpTokens") != "required" or meta.get("HttpPutResponseHopLimit", 1) > 1:
            findings.append(("eks_node_imdsv2", group["nodegroupArn"], "%s runs launch template %s version %s without "
                             "IMDSv2 required and a hop limit of 1" % (label, template.get("id"), template.get("version"))))
    role = dict((gid, _tags(sg).get("devsecops:role")) for gid, sg in sgs.items())
    own = vpc.get("clusterSecurityGroupId")
    for gid in [own] + list(vpc.get("securityGroupIds") or []):
        sg = sgs.get(gid)
        if not sg:
            continue
        label = "%s (%s) of EKS cluster %s" % (gid, sg.get("GroupName"), name)
        for rule in _rules(sg.get("IpPermissions", [])):
            if gid == own and rule[3] == gid:
                continue  # EKS's cluster group admits itself
            api_from_ours = rule[:3] == ("tcp", 443, 443) and role.get(rule[3]) in ("jump-host", "eks-nodes")
            if gid != own and role.get(gid) == "eks-control-plane" and api_from_ours:
                continue
            findings.append(("eks_security_groups", gid, "%s admits %s %s-%s from %s" % ((label,) + rule)))
        for rule in _rules(sg.get("IpPermissionsEgress", [])):
            if gid == own:
                continue  # EKS's group sends anywhere, as EKS creates it; the nodes' and endpoints' groups limit what answers
            if role.get(gid) == "eks-control-plane" and role.get(rule[3]) == "eks-nodes":
                continue
            findings.append(("eks_security_groups", gid, "%s sends %s %s-%s to %s" % ((label,) + rule)))
    return findings


def _internet_hop(route):
    """The internet, NAT or egress-only internet gateway a route leads to, or None."""
    target = route.get("GatewayId", "") or ""
    if target.startswith("igw-"):
        return target
    return route.get("NatGatewayId") or route.get("EgressOnlyInternetGatewayId")


def check_app_egress(route_tables):
    findings = []
    for rt in route_tables:
        for route in rt.get("Routes", []):
            hop = _internet_hop(route)
            if hop:
                dest = route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock")
                findings.append((rt["RouteTableId"], "App VPC route table %s routes %s to %s" % (rt["RouteTableId"], dest, hop)))
    return findings


def check_security_egress(route_tables, allowed_cidrs):
    """route_tables: the security VPC's; allowed_cidrs: where its peering routes may lead."""
    findings = []
    allowed = [ipaddress.ip_network(c) for c in allowed_cidrs]
    for rt in route_tables:
        rid = rt["RouteTableId"]
        for route in rt.get("Routes", []):
            dest = route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock") or route.get("DestinationPrefixListId")
            hop = _internet_hop(route)
            if hop:
                findings.append((rid, "security VPC route table %s routes %s to %s" % (rid, dest, hop)))
            elif route.get("VpcPeeringConnectionId") and route.get("DestinationCidrBlock"):
                net = ipaddress.ip_network(route["DestinationCidrBlock"])
                if not any(net.subnet_of(a) for a in allowed if a.version == net.version):
                    findings.append((rid, "security VPC route table %s routes %s to %s: only the App VPC and the egress"
                                          " proxies' subnets may be reached" % (rid, dest, route["VpcPeeringConnectionId"])))
    return findings


def check_flow_logs(tiers, flow_logs):
    findings = []
    delivering = set()
    for fl in flow_logs:
        if fl.get("FlowLogStatus", "ACTIVE") != "ACTIVE":
            continue
        if fl.get("DeliverLogsStatus") == "FAILED":
            findings.append((fl["FlowLogId"], "flow log %s of VPC %s cannot deliver (DeliverLogsStatus FAILED: %s)"
                             % (fl["FlowLogId"], fl["ResourceId"], fl.get("DeliverLogsErrorMessage", "no reason given"))))
            continue
        delivering.add(fl["ResourceId"])
    findings.extend((vid, "%s VPC %s has no active flow log" % (tier, vid))
                    for tier, vid in sorted(tiers.items()) if vid not in delivering)
    return findings


LIVE_RULE = ("authorizing", "active")


def _live_endpoint(ep):
    return ep.get("Status", {}).get("Code") not in ("deleting", "deleted")


def check_client_vpn(endpoints, rules, bastion_cidrs):
    """endpoints: DescribeClientVpnEndpoints entries; rules: endpoint ID -> its authorization rules."""
    findings = []
    for ep in endpoints:
        eid = ep["ClientVpnEndpointId"]
        if not ep.get("SplitTunnel"):
            findings.append((eid, "Client VPN endpoint %s has split tunnel off: all client traffic enters the VPC" % eid))
        if not ep.get("ConnectionLogOptions", {}).get("Enabled"):
            findings.append((eid, "Client VPN endpoint %s does not log connections" % eid))
        for rule in rules.get(eid, []):
            if rule.get("Status", {}).get("Code") in LIVE_RULE and rule.get("DestinationCidr") not in bastion_cidrs:
                findings.append((eid, "Client VPN endpoint %s authorizes %s, which is not a bastion subnet"
                                 % (eid, rule.get("DestinationCidr"))))
    return findings


def audit_dns(module, p):
    """This region's record in the stack's zone (found by name), and its health check."""
    route53 = module.client("route53", retry_decorator=AWSRetry.jittered_backoff(
        catch_extra_error_codes=["PriorRequestNotComplete", "ServiceUnavailable", "InternalFailure"]))
    zone_name = p["dns_zone_name"].rstrip(".") + "."
    zones = [z for z in route53.list_hosted_zones_by_name(DNSName=zone_name, MaxItems="1", aws_retry=True)["HostedZones"]
             if z["Name"] == zone_name and not z.get("Config", {}).get("PrivateZone")]
    if not zones:
        return [(zone_name, "no public hosted zone %s" % zone_name)]
    name = (p["dns_record_name"] or p["dns_zone_name"]).rstrip(".") + "."
    records = [r for r in paginate(route53, "list_resource_record_sets", "ResourceRecordSets", HostedZoneId=zones[0]["Id"])
               if r["Name"] == name]
    identifier = "%s-%s" % (p["stack"], module.region)
    health = None
    ids = [r.get("HealthCheckId") for r in records if r.get("SetIdentifier") == identifier and r.get("HealthCheckId")]
    if ids:
        try:
            health = route53.get_health_check(HealthCheckId=ids[0], aws_retry=True)["HealthCheck"]
        except is_boto3_error_code("NoSuchHealthCheck"):
            health = None
    return check_dns_record(records, identifier, name, health)


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            stack=dict(type="str", required=True),
            vpn_cidr=dict(type="str"),
            az_count=dict(type="int", required=True),
            client_vpn=dict(type="bool", default=True),
            eks_clusters=dict(type="list", elements="str", default=[]),
            alarm_prefix=dict(type="str"),
            lb_ports=dict(type="list", elements="int", default=[]),
            dns_zone_name=dict(type="str"),
            dns_record_name=dict(type="str", default=""),
            fail_on_findings=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    vpn_net = None
    if p["vpn_cidr"]:
        try:
            vpn_net = ipaddress.ip_network(p["vpn_cidr"], strict=False)
        except ValueError as e:
            module.fail_json(msg="vpn_cidr: %s" % e)
    client = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff(catch_extra_error_codes=TRANSIENT_ERROR_CODES))
    findings = []

    def add(check, items):
        findings.extend({"check": check, "resource": r, "message": m} for r, m in items)

    try:
        vpcs = paginate(client, "describe_vpcs", "Vpcs",
                        Filters=[{"Name": "tag:devsecops:stack", "Values": [p["stack"]]}])
        tiers = {_tags(v).get("devsecops:vpc"): v["VpcId"] for v in vpcs}
        missing = [t for t in ("security", "lb", "app") if t not in tiers]
        if missing:
            module.fail_json(msg="stack %s: no VPC tagged devsecops:vpc=%s" % (p["stack"], ",".join(missing)),
                             vpcs=tiers)
        vpc_ids = list(tiers.values())
        vpc_filter = [{"Name": "vpc-id", "Values": vpc_ids}]

        sgs = paginate(client, "describe_security_groups", "SecurityGroups", Filters=vpc_filter)
        add("ssh_sources", check_ssh(sgs, vpn_net))

        app_rts = paginate(client, "describe_route_tables", "RouteTables",
                           Filters=[{"Name": "vpc-id", "Values": [tiers["app"]]}])
        add("app_egress", check_app_egress(app_rts))

        security_rts = paginate(client, "describe_route_tables", "RouteTables",
                                Filters=[{"Name": "vpc-id", "Values": [tiers["security"]]}])
        proxy_subnets = paginate(client, "describe_subnets", "Subnets", Filters=[
            {"Name": "vpc-id", "Values": [tiers["lb"]]}, {"Name": "tag:devsecops:tier", "Values": ["private"]}])
        app_cidr = [v["CidrBlock"] for v in vpcs if v["VpcId"] == tiers["app"]]
        add("security_egress", check_security_egress(security_rts, app_cidr + [sn["CidrBlock"] for sn in proxy_subnets]))

        igws = paginate(client, "describe_internet_gateways", "InternetGateways",
                        Filters=[{"Name": "attachment.vpc-id", "Values": vpc_ids}])
        for igw in igws:
            for att in igw.get("Attachments", []):
                if att.get("VpcId") != tiers["lb"]:
                    tier = [k for k, v in tiers.items() if v == att.get("VpcId")][0]
                    add("igw_placement", [(igw["InternetGatewayId"], "internet gateway %s is attached to the %s VPC %s"
                                           % (igw["InternetGatewayId"], tier, att.get("VpcId")))])

        flow_logs = paginate(client, "describe_flow_logs", "FlowLogs",
                             Filters=[{"Name": "resource-id", "Values": vpc_ids}])
        add("flow_logs", check_flow_logs(tiers, flow_logs))

        if p["client_vpn"]:
            try:
                endpoints = paginate(client, "describe_client_vpn_endpoints", "ClientVpnEndpoints")
            except is_boto3_error_code(("InvalidAction", "UnsupportedOperation")) as e:
                module.fail_json_aws(e, msg="client_vpn: the Client VPN API is not available at this endpoint; "
                                            "set client_vpn=false only where it does not exist")
            endpoints = [ep for ep in endpoints if ep.get("VpcId") == tiers["security"] and _live_endpoint(ep)]
            rules = dict((ep["ClientVpnEndpointId"], paginate(client, "describe_client_vpn_authorization_rules",
                                                              "AuthorizationRules",
                                                              ClientVpnEndpointId=ep["ClientVpnEndpointId"]))
                         for ep in endpoints)
            bastion_subnets = paginate(client, "describe_subnets", "Subnets", Filters=[
                {"Name": "vpc-id", "Values": [tiers["security"]]}, {"Name": "tag:devsecops:tier", "Values": ["private"]}])
            add("client_vpn", check_client_vpn(endpoints, rules, set(sn["CidrBlock"] for sn in bastion_subnets)))

        reservations = paginate(client, "describe_instances", "Reservations",
                                Filters=vpc_filter + [{"Name": "instance-state-name", "Values": LIVE}])
        instances = [i for r in reservations for i in r["Instances"]]
        per_az = {}
        for inst in instances:
            if _tags(inst).get("devsecops:role") == "bastion" and inst.get("VpcId") == tiers["security"]:
                per_az.setdefault(inst["Placement"]["AvailabilityZone"], []).append(inst["InstanceId"])
            if inst.get("MetadataOptions", {}).get("HttpTokens") != "required":
                add("imdsv2", [(inst["InstanceId"], "instance %s (%s) does not require IMDSv2"
                                % (inst["InstanceId"], _tags(inst).get("Name", "")))])
        for az, ids in sorted(per_az.items()):
            if len(ids) > 1:
                add("bastion_per_az", [(",".join(ids), "AZ %s has %d bastions: %s" % (az, len(ids), ", ".join(ids)))])
        if len(per_az) != p["az_count"]:
            add("bastion_per_az", [(tiers["security"], "security VPC %s has bastions in %d AZs (%s), expected %d"
                                    % (tiers["security"], len(per_az), ", ".join(sorted(per_az)) or "none", p["az_count"]))])
        if p["eks_clusters"]:
            eks = module.client("eks", retry_decorator=AWSRetry.jittered_backoff(catch_extra_error_codes=EKS_TRANSIENT))
            app_private = set(sn["SubnetId"] for sn in paginate(client, "describe_subnets", "Subnets", Filters=[
                {"Name": "vpc-id", "Values": [tiers["app"]]}, {"Name": "tag:devsecops:tier", "Values": ["private"]}]))
            app_sgs = dict((sg["GroupId"], sg) for sg in sgs if sg.get("VpcId") == tiers["app"])
            for name in p["eks_clusters"]:
                try:
                    cluster = eks.describe_cluster(name=name, aws_retry=True)["cluster"]
                except is_boto3_error_code("ResourceNotFoundException"):
                    add("eks_placement", [(name, "EKS cluster %s does not exist" % name)])
                    continue
                groups = [eks.describe_nodegroup(clusterName=name, nodegroupName=g, aws_retry=True)["nodegroup"]
                          for g in paginate(eks, "list_nodegroups", "nodegroups", clusterName=name)]
                templates = {}
                for group in groups:
                    lt = group.get("launchTemplate") or {}
                    if lt.get("id"):
                        versions = client.describe_launch_template_versions(
                            LaunchTemplateId=lt["id"], Versions=[str(lt.get("version") or "$Default")],
                            aws_retry=True)["LaunchTemplateVersions"]
                        templates[(lt["id"], str(lt.get("version")))] = versions[0]["LaunchTemplateData"] if versions else {}
                findings.extend({"check": c, "resource": r, "message": m}
                                for c, r, m in check_eks(cluster, groups, templates, app_private, app_sgs))
        if p["alarm_prefix"]:
            cloudwatch = module.client("cloudwatch", retry_decorator=AWSRetry.jittered_backoff(
                catch_extra_error_codes=["InternalServiceError", "ServiceUnavailable"]))
            alarms = paginate(cloudwatch, "describe_alarms", "MetricAlarms", AlarmNamePrefix=p["alarm_prefix"])
            add("alarm_actions", check_alarm_actions(alarms))
        if p["lb_ports"]:
            elbv2 = module.client("elbv2", retry_decorator=AWSRetry.jittered_backoff(
                catch_extra_error_codes=["InternalFailure", "ServiceUnavailable"]))
            lb_public = set(sn["SubnetId"] for sn in paginate(client, "describe_subnets", "Subnets", Filters=[
                {"Name": "vpc-id", "Values": [tiers["lb"]]}, {"Name": "tag:devsecops:tier", "Values": ["public"]}]))
            app_instances = set(i["InstanceId"] for i in instances if i.get("VpcId") == tiers["app"])
            for lb in paginate(elbv2, "describe_load_balancers", "LoadBalancers"):
                if lb.get("VpcId") not in vpc_ids:
                    continue
                arn = lb["LoadBalancerArn"]
                listeners = paginate(elbv2, "describe_listeners", "Listeners", LoadBalancerArn=arn)
                groups = paginate(elbv2, "describe_target_groups", "TargetGroups", LoadBalancerArn=arn)
                targets = dict((tg["TargetGroupArn"], [d["Target"] for d in elbv2.describe_target_health(
                    TargetGroupArn=tg["TargetGroupArn"], aws_retry=True)["TargetHealthDescriptions"]]) for tg in groups)
                findings.extend({"check": c, "resource": r, "message": m} for c, r, m in check_load_balancer(
                    lb, listeners, groups, targets, lb_public, app_cidr[0], app_instances, p["lb_ports"]))
        if p["dns_zone_name"]:
            add("dns_record", audit_dns(module, p))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="Failed to read AWS state")

    run = [c for c in CHECKS if c != "client_vpn" or p["client_vpn"]] + (list(EKS_CHECKS) if p["eks_clusters"] else []) \
        + (["alarm_actions"] if p["alarm_prefix"] else []) + (list(LB_CHECKS) if p["lb_ports"] else []) \
        + (["dns_record"] if p["dns_zone_name"] else [])
    checks = dict((c, len([f for f in findings if f["check"] == c])) for c in run)
    result = dict(changed=False, passed=not findings, findings=findings, checks=checks, vpcs=tiers)
    if findings and p["fail_on_findings"]:
        module.fail_json(msg="Security audit of stack %s failed: %s" % (p["stack"], "; ".join(f["message"] for f in findings)),
                         **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
