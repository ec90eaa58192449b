"""The Kubernetes manifests the eks role writes, validated offline against Kubernetes' OpenAPI schemas
(kubernetes-validate, strict: an unknown field fails) for the cluster's version - no API server can run
here. Rendered with Ansible's own templating, as the role's template task renders them."""
from __future__ import annotations

import pathlib

import kubernetes_validate
import pytest
import yaml

ROLE = pathlib.Path(__file__).resolve().parents[2] / "roles" / "eks"
VARS = dict(ansible_managed="Ansible managed", eks_cluster_name="eksplat-us-east-1", eks_region="us-east-1",
            __eks_name="eksplat-us-east-1",
            __eks_autoscaler_image="123456789012.dkr.ecr.us-east-1.amazonaws.com/cluster-autoscaler:v1.31.0")


def render(name: str, **extra) -> list[dict]:
    from ansible.template import Templar
    from ansible.parsing.dataloader import DataLoader

    try:
        from ansible.template import trust_as_template  # ansible-core >= 2.19
        text = trust_as_template((ROLE / "templates" / name).read_text())
    except ImportError:
        text = (ROLE / "templates" / name).read_text()
    rendered = Templar(loader=DataLoader(), variables=dict(VARS, **extra)).template(text)
    return [d for d in yaml.safe_load_all(rendered) if d]


@pytest.mark.parametrize("version", ["1.31", "1.33"])
def test_cluster_autoscaler_manifests_are_valid_kubernetes(version):
    docs = render("cluster-autoscaler.yaml.j2")
    assert [d["kind"] for d in docs] == ["ServiceAccount", "ClusterRole", "Role", "ClusterRoleBinding", "RoleBinding",
                                         "Deployment"]
    for doc in docs:
        kubernetes_validate.validate(doc, version, strict=True)


def test_a_wrong_field_is_caught():
    """The validation can fail: a misspelt field of the Deployment is an error."""
    deployment = render("cluster-autoscaler.yaml.j2")[-1]
    deployment["spec"]["template"]["spec"]["serviceAccount_name"] = "x"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, "1.31", strict=True)


def test_cluster_autoscaler_finds_this_clusters_group_and_runs_locked_down():
    deployment = render("cluster-autoscaler.yaml.j2")[-1]
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert ("--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,"
            "k8s.io/cluster-autoscaler/eksplat-us-east-1") in container["command"]
    assert pod["serviceAccountName"] == "cluster-autoscaler" and pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"] == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                            "capabilities": {"drop": ["ALL"]}}
    assert container["image"].startswith("123456789012.dkr.ecr.us-east-1.amazonaws.com/")


METRICS = dict(eks_app_metrics_namespaces=["shop"], eks_app_metrics_path="/metrics", eks_app_metrics_interval="1m",
               eks_app_metrics_selectors=["^http_requests_total$"])


def cloudwatch_observability(**extra) -> dict:
    return render("cloudwatch-observability.yaml.j2", **dict(METRICS, **extra))[0]


def promtool(tmp_path, config: dict):
    """promtool check config. Debian builds Prometheus without Kubernetes service discovery, so the
    job's kubernetes_sd_configs is swapped for a static target: the rest (relabelling, regexes,
    durations, paths) is checked by Prometheus itself; the discovery block is asserted as data."""
    import copy
    import shutil
    import subprocess
    import sys

    tool = shutil.which("promtool", path=pathlib.Path(sys.executable).parent) or shutil.which("promtool")
    if not tool:
        pytest.skip("promtool is not installed (scripts/install.sh takes it from Debian's prometheus package)")
    config = copy.deepcopy(config)
    for job in config["scrape_configs"]:
        if job.pop("kubernetes_sd_configs", None) is not None:
            job["static_configs"] = [{"targets": ["10.30.1.10:8080"]}]
    path = tmp_path / "prometheus.yaml"
    path.write_text(yaml.safe_dump(config))
    return subprocess.run([tool, "check", "config", "--syntax-only", str(path)], capture_output=True, text=True, check=False)


def test_the_agents_prometheus_scrape_config_is_valid_for_prometheus(tmp_path):
    """The scrape config the CloudWatch agent gets, checked by Prometheus' own promtool."""
    config = cloudwatch_observability()["agent"]["prometheus"]["config"]
    check = promtool(tmp_path, config)
    assert check.returncode == 0, check.stdout + check.stderr
    job = config["scrape_configs"][0]
    assert job["metrics_path"] == "/metrics"
    assert job["kubernetes_sd_configs"] == [{"role": "pod", "namespaces": {"names": ["shop"]}}]
    keep = job["relabel_configs"][0]
    assert keep["action"] == "keep" and keep["source_labels"] == ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"]


def test_promtool_catches_a_broken_scrape_config(tmp_path):
    """The check can fail: an invalid relabel regex and an unknown field are errors."""
    config = cloudwatch_observability()["agent"]["prometheus"]["config"]
    config["scrape_configs"][0]["relabel_configs"][2]["regex"] = "([^:]+"
    assert promtool(tmp_path, config).returncode != 0
    config = cloudwatch_observability(eks_app_metrics_interval="1 minute")["agent"]["prometheus"]["config"]
    assert promtool(tmp_path, config).returncode != 0


def test_the_agent_keeps_container_insights_and_sends_the_selected_metrics_to_cloudwatch():
    agent = cloudwatch_observability()["agent"]["config"]
    collected = agent["logs"]["metrics_collected"]
    assert collected["kubernetes"] == {"cluster_name": "eksplat-us-east-1", "enhanced_container_insights": True}
    prometheus = collected["prometheus"]
    assert prometheus["log_group_name"] == "/aws/containerinsights/eksplat-us-east-1/prometheus"
    declaration = prometheus["emf_processor"]["metric_declaration"][0]
    assert declaration["label_matcher"] == "^app$" and declaration["metric_selectors"] == ["^http_requests_total$"]


def test_a_custom_image_is_told_where_its_cluster_is():
    """The launch template's user data for eks_nodes_ami_id: a MIME part nodeadm reads
    (application/node.eks.aws) with the cluster's name, private endpoint, CA and service CIDR."""
    import email

    from ansible.template import Templar
    from ansible.parsing.dataloader import DataLoader

    text = (ROLE / "templates" / "nodeadm-userdata.j2").read_text()
    try:
        from ansible.template import trust_as_template  # ansible-core >= 2.19
        text = trust_as_template(text)
    except ImportError:
        pass
    cluster = {"endpoint": "https://ABC.gr7.us-east-1.eks.amazonaws.com", "certificate_authority": "LS0tQ0E=",
               "service_ipv4_cidr": "172.20.0.0/16"}
    rendered = Templar(loader=DataLoader(), variables=dict(VARS, __eks_cluster={"cluster": cluster},
                                                           eks_nodes_system_reserved_memory="1536Mi")).template(text)
    message = email.message_from_string(rendered)
    assert message.is_multipart()
    parts = [p for p in message.walk() if p.get_content_type() == "application/node.eks.aws"]
    assert len(parts) == 1
    config = yaml.safe_load(parts[0].get_payload())
    assert config["apiVersion"] == "node.eks.aws/v1alpha1" and config["kind"] == "NodeConfig"
    assert config["spec"]["cluster"] == {"name": "eksplat-us-east-1", "apiServerEndpoint": cluster["endpoint"],
                                         "certificateAuthority": "LS0tQ0E=", "cidr": "172.20.0.0/16"}
    # the hardened host's daemons (clamd's databases) are reserved from what kubelet offers pods
    assert config["spec"]["kubelet"]["config"] == {"systemReserved": {"memory": "1536Mi"}}
