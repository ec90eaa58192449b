"""kubectl on the jump host: the kubeconfig that kubectl itself reads points at the cluster's private
endpoint, and its credential plugin (the AWS CLI) signs an EKS token for that cluster in its region."""
import base64
import json
from urllib.parse import parse_qs, urlparse

CLUSTER = "molecule-us-gov-west-1"
ENDPOINT = "https://0A1B2C3D4E5F.yl4.us-gov-west-1.eks.amazonaws.com"


def login(host, command):
    """command in a login shell (profile.d sets KUBECONFIG), as an unprivileged user would run it."""
    return host.run("su -s /bin/bash -l nobody -c '%s'" % command)


def test_kubectl_reads_the_kubeconfig_from_a_login_shell(host):
    out = login(host, "kubectl config view -o json")
    assert out.rc == 0, out.stderr
    config = json.loads(out.stdout)
    assert config["current-context"] == CLUSTER
    assert [c["cluster"]["server"] for c in config["clusters"]] == [ENDPOINT]  # the drift was repaired
    exec_ = config["users"][0]["user"]["exec"]
    assert exec_["command"] == "aws"
    assert exec_["args"] == ["--region", "us-gov-west-1", "eks", "get-token", "--cluster-name", CLUSTER, "--output", "json"]


def test_the_kubeconfig_holds_no_secret_and_only_root_writes_it(host):
    f = host.file("/etc/kubernetes/eks.kubeconfig")
    assert f.user == "root" and f.mode == 0o644
    keys = {line.split(":", 1)[0].strip(" -") for line in f.content_string.splitlines() if ":" in line}
    assert not keys & {"token", "password", "client-key-data", "client-certificate-data"}, keys


def test_the_credential_plugin_signs_a_token_for_this_cluster(host):
    """What kubectl runs before each request: with the instance role's credentials (dummy ones here,
    signing needs no network), a presigned STS GetCallerIdentity bound to the cluster name."""
    out = host.run("AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=dummy AWS_EC2_METADATA_DISABLED=true "
                   "aws --region us-gov-west-1 eks get-token --cluster-name %s --output json" % CLUSTER)
    assert out.rc == 0, out.stderr
    credential = json.loads(out.stdout)
    assert credential["kind"] == "ExecCredential"
    token = credential["status"]["token"]
    assert token.startswith("k8s-aws-v1.")
    url = urlparse(base64.urlsafe_b64decode(token[len("k8s-aws-v1."):] + "==").decode())
    query = parse_qs(url.query)
    assert url.hostname == "sts.us-gov-west-1.amazonaws.com"
    assert query["Action"] == ["GetCallerIdentity"]
    assert "x-k8s-aws-id" in query["X-Amz-SignedHeaders"][0].split(";")


def test_kubectl_runs(host):
    assert host.run("kubectl version --client").rc == 0
