"""The collection as its users get it: built into a tarball, installed into a clean collections
path beside only the collections galaxy.yml declares, and checked with the ecosystem's own tools
(galaxy-importer with Automation Hub's settings, antsibull-docs, ansible-doc, ansible-playbook
--syntax-check, ansible-builder, antsibull-changelog). The tools run from .venv-release:
ansible-core with no bundled collections, so nothing undeclared can resolve by accident."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

REPO = Path(__file__).resolve().parents[2]
RELEASE_BIN = REPO / ".venv-release" / "bin"
DEV_BIN = Path(sys.executable).parent
GALAXY = yaml.safe_load((REPO / "galaxy.yml").read_text())
FQCN = f"{GALAXY['namespace']}.{GALAXY['name']}"
DEPS = GALAXY["dependencies"]

# What the tarball may hold: collection content, and nothing of the repo around it.
ALLOWED = re.compile(r"^(MANIFEST\.json|FILES\.json|README\.md|COPYING|CHANGELOG\.md"
                     r"|changelogs/(changelog|config)\.yaml"
                     r"|docs/[^/]+\.md|docs/docsite/links\.yml"
                     r"|meta/(runtime|execution-environment)\.yml|meta/ee-(requirements|bindep)\.txt"
                     r"|playbooks/([^/]+|tasks/[^/]+)\.yml|playbooks/templates/[^/]+\.j2"
                     r"|plugins/(modules|callback|filter|test|plugin_utils|module_utils|doc_fragments)/[^/]+\.(py|yml)"
                     r"|roles/[^/]+/(README\.md|(defaults|vars|handlers|tasks|meta)/[^/]+\.yml|templates/.+|files/.+)"
                     r")$")

pytestmark = pytest.mark.skipif(not (RELEASE_BIN / "ansible-galaxy").exists(),
                                reason="the release toolchain .venv-release is missing: run scripts/install.sh")


def _run(cmd, cwd, env=None, check=True) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True,
                          check=False, timeout=900)
    if check:
        assert proc.returncode == 0, f"{' '.join(map(str, cmd))}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return proc


def _installed_version(path: Path) -> str:
    return json.loads((path / "MANIFEST.json").read_text())["collection_info"]["version"]


def _dependency_source(name: str) -> Path:
    """Where this machine has the declared collection: the dev venv's `ansible` package, or
    collections/ (awx.awx, which install.sh takes from the ansible 12.3.0 wheel)."""
    ns, coll = name.split(".")
    import ansible_collections  # the dev venv's `ansible` package
    for root in [*map(Path, ansible_collections.__path__), REPO / "collections" / "ansible_collections"]:
        if (root / ns / coll / "MANIFEST.json").exists():
            return root / ns / coll
    raise AssertionError(f"{name} (declared in galaxy.yml) is not on this machine")


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    """The built tarball, and a clean collections path holding it and the declared dependencies."""
    work = tmp_path_factory.mktemp("release")
    _run([DEV_BIN / "ansible-galaxy", "collection", "build", "--output-path", work, REPO], cwd=work)
    tarball = work / f"{GALAXY['namespace']}-{GALAXY['name']}-{GALAXY['version']}.tar.gz"
    clean = work / "collections"
    env = dict(os.environ, PATH=f"{RELEASE_BIN}{os.pathsep}{os.environ['PATH']}",
               ANSIBLE_COLLECTIONS_PATH=str(clean), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="False",
               ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_DEPRECATION_WARNINGS="1")
    for var in ("ANSIBLE_CONFIG", "ANSIBLE_CALLBACKS_ENABLED", "VIRTUAL_ENV", "PYTHONPATH"):
        env.pop(var, None)
    _run([RELEASE_BIN / "ansible-galaxy", "collection", "install", "--no-deps", "-p", clean, tarball],
         cwd=work, env=env)
    # The declared dependencies and theirs (community.general needs
    # community.library_inventory_filtering_v1), as `ansible-galaxy collection install` would.
    todo, done = dict(DEPS), set()
    while todo:
        name, spec = todo.popitem()
        if name in done:
            continue
        src = _dependency_source(name)
        assert Version(_installed_version(src)) in SpecifierSet(spec), f"{name} here does not satisfy {spec}"
        shutil.copytree(src, clean / "ansible_collections" / name.replace(".", "/"), symlinks=True)
        done.add(name)
        todo.update(json.loads((src / "MANIFEST.json").read_text())["collection_info"]["dependencies"] or {})
    return {"work": work, "tarball": tarball, "env": env,
            "root": clean / "ansible_collections" / GALAXY["namespace"] / GALAXY["name"]}


def test_tarball_ships_only_collection_content(release):
    with tarfile.open(release["tarball"]) as tar:
        files = [m.name for m in tar.getmembers() if m.isfile()]
        secrets = [m.name for m in tar.getmembers() if m.isfile()
                   and re.search(rb"BEGIN [A-Z ]*PRIVATE KEY|aws_secret_access_key", tar.extractfile(m).read())]
    assert [f for f in files if not ALLOWED.match(f)] == []
    assert secrets == []
    # What a lab run or the repo would add, by name: none of it ships.
    assert not [f for f in files if re.match(r"(inventories|molecule|lab|tests|benchmarks|scripts|collections)/", f)]
    assert not {"site.yml", "ansible.cfg", ".ansible-lint", "pytest.ini", "requirements.txt", "galaxy.yml"} & set(files)
    assert not [f for f in files if "lab_" in f or f == "docs/lab.md"]
    assert {"playbooks/site.yml", "meta/execution-environment.yml", "meta/ee-requirements.txt",
            "changelogs/changelog.yaml", "CHANGELOG.md", "docs/docsite/links.yml"} <= set(files)


def _used_collections(root: Path) -> set[str]:
    """Every collection named by an FQCN in the shipped content: task keywords, filters, tests,
    lookups, doc fragments and Python imports."""
    pattern = re.compile(
        r"^\s*-?\s*([a-z0-9_]+\.[a-z0-9_]+)\.[a-z0-9_]+:\s*$"             # module as a task key
        r"|^\s*-?\s*([a-z0-9_]+\.[a-z0-9_]+)\.[a-z0-9_]+:\s"
        r"|\|\s*([a-z0-9_]+\.[a-z0-9_]+)\.[a-z0-9_]+"                       # | ns.coll.filter
        r"|\bis\s+(?:not\s+)?([a-z0-9_]+\.[a-z0-9_]+)\.[a-z0-9_]+"          # is ns.coll.test
        r"|(?:lookup|query|map|select|reject|selectattr|rejectattr)\(\s*['\"](?:[a-z_]+['\"],\s*['\"])?"
        r"([a-z0-9_]+\.[a-z0-9_]+)\.[a-z0-9_]+['\"]"                        # lookup('ns.coll.x'), map('ns.coll.f')
        r"|ansible_collections\.([a-z0-9_]+)\.([a-z0-9_]+)\."              # Python imports
        r"|^\s*-\s+([a-z0-9_]+\.[a-z0-9_]+)\.[a-z0-9_.]+\s*$",             # extends_documentation_fragment items
        re.M)
    used = set()
    for path in root.rglob("*"):
        if path.is_file() and path.suffix in (".yml", ".yaml", ".py", ".j2"):
            for m in pattern.finditer(path.read_text(errors="replace")):
                groups = [g for g in m.groups() if g]
                used.add(".".join(groups[:2]) if len(groups) == 2 else groups[0])
    return {u for u in used if u not in ("ansible.builtin", "ansible.legacy", FQCN)
            and u.split(".")[0] in {"amazon", "community", "ansible", "awx", "kubernetes", "containers", "devsecops"}}


def test_galaxy_yml_declares_exactly_the_collections_the_content_uses(release):
    used = _used_collections(release["root"])
    assert used == set(DEPS), f"used but not declared: {used - set(DEPS)}; declared, unused: {set(DEPS) - used}"


def test_requirements_yml_and_the_ee_follow_galaxy_yml():
    reqs = {c["name"]: c["version"] for c in yaml.safe_load((REPO / "requirements.yml").read_text())["collections"]}
    assert reqs == DEPS
    ee = yaml.safe_load((REPO / "execution-environment.yml").read_text())
    pins = {c["name"]: c["version"] for c in ee["dependencies"]["galaxy"]["collections"]}
    assert pins.pop(FQCN) == f"=={GALAXY['version']}"
    assert set(pins) == set(DEPS)
    for name, pin in pins.items():
        assert pin.startswith("=="), f"{name}: the EE pins exact versions, got {pin}"
        assert Version(pin[2:]) in SpecifierSet(DEPS[name]), f"EE pin {name}{pin} is below galaxy.yml's {DEPS[name]}"
    for key in ("ansible_core", "ansible_runner"):
        assert "==" in ee["dependencies"][key]["package_pip"]
    assert re.search(r":\d+\.\d+\.\d+$", ee["images"]["base_image"]["name"]), "base image pinned to a release tag"


def test_runtime_metadata_is_consistent():
    runtime = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())
    floor = re.search(r"ansible-core>=([0-9.]+)", (REPO / "requirements.txt").read_text()).group(1)
    assert runtime["requires_ansible"] == f">={floor}.0"
    aws_modules = sorted(p.stem for p in (REPO / "plugins" / "modules").glob("*.py")
                         if "AnsibleAWSModule" in p.read_text())
    assert sorted(runtime["action_groups"]["aws"]) == aws_modules


def test_ee_introspection_brings_runtime_python_only(release):
    """ansible-builder reads meta/execution-environment.yml of the installed collection: an EE that
    lists this collection gets its runtime requirements, and no dev or test tool."""
    proc = _run([DEV_BIN / "ansible-builder", "introspect", "--sanitize", release["root"].parents[2]],
                cwd=release["work"])
    text = json.dumps(yaml.safe_load(proc.stdout))
    for tool in ("moto", "pytest", "molecule", "ansible-lint", "ansible-builder", "testinfra", "galaxy-importer"):
        assert tool not in text, f"{tool} leaks into the EE: {text}"
    assert "boto3" in text and "netaddr" in text and "openssh-client" in text


def test_execution_environment_renders_with_the_collection_from_galaxy(tmp_path):
    ctx = tmp_path / "ctx"
    _run([DEV_BIN / "ansible-builder", "create", "-f", REPO / "execution-environment.yml", "--context", ctx],
         cwd=REPO)
    galaxy = yaml.safe_load((ctx / "_build" / "requirements.yml").read_text())
    assert {"name": FQCN, "version": f"=={GALAXY['version']}"} in galaxy["collections"]
    containerfile = next(p for p in (ctx / "Containerfile", ctx / "Dockerfile") if p.exists()).read_text()
    assert "tar.gz" not in containerfile, "the collection comes through ansible-builder's galaxy step, not by hand"
    assert "COPY _build/configs/ansible.cfg /etc/ansible/ansible.cfg" in containerfile
    cfg = (ctx / "_build" / "configs" / "ansible.cfg").read_text()
    assert re.search(r"^callbacks_enabled\s*=.*devsecops\.eks_platform\.hardening_report", cfg, re.M)


def test_galaxy_importer_with_automation_hub_settings(release):
    cfg = release["work"] / "galaxy-importer.cfg"
    cfg.write_text("[galaxy-importer]\nRUN_FLAKE8 = True\nRUN_ANSIBLE_DOC = True\nRUN_ANSIBLE_LINT = True\n"
                   "RUN_ANSIBLE_TEST = False\nCHECK_REQUIRED_TAGS = True\nREQUIRE_V1_OR_GREATER = True\n")
    # The importer points ANSIBLE_COLLECTIONS_PATH at its own unpacked copy; its ansible-doc and
    # ansible-lint find the declared dependencies through sys.path (PYTHONPATH) instead.
    env = dict(release["env"], GALAXY_IMPORTER_CONFIG=str(cfg), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="True",
               PYTHONPATH=str(release["root"].parents[2]))
    proc = _run([RELEASE_BIN / "python", "-m", "galaxy_importer.main", release["tarball"]], cwd=release["work"],
                env=env)
    out = proc.stdout + proc.stderr
    assert "Importer processing completed successfully" in out, out[-4000:]
    problems = [line for line in out.splitlines() if line.startswith(("ERROR", "WARNING"))]
    assert problems == [], "\n".join(problems)


def test_antsibull_docs_lint(release):
    _run([RELEASE_BIN / "antsibull-docs", "lint-collection-docs", "--plugin-docs", release["root"]],
         cwd=release["work"], env=release["env"])


def _warnings(stderr: str) -> list[str]:
    """Warnings and deprecations, but ansible-core 2.21's own about its internal _protomatter
    collection (printed by ansible-doc -t role whatever the collection)."""
    return [line for line in stderr.splitlines() if ("[WARNING]" in line or "[DEPRECATION" in line)
            and "ansible/_internal/ansible_collections" not in line]


def _plugins(kind: str) -> list[str]:
    return sorted(f"{FQCN}.{p.stem}" for p in (REPO / "plugins" / kind).glob("*.py"))


@pytest.mark.parametrize("kind", ["module", "filter", "test", "callback", "role"])
def test_ansible_doc_for_every_plugin_and_role(release, kind):
    names = (sorted(f"{FQCN}.{p.name}" for p in (REPO / "roles").iterdir() if (p / "meta" / "argument_specs.yml").exists())
             if kind == "role" else _plugins({"module": "modules", "filter": "filter", "test": "test", "callback": "callback"}[kind]))
    assert names
    proc = _run([RELEASE_BIN / "ansible-doc", "-t", kind, "--json", *names], cwd=release["work"], env=release["env"])
    docs = json.loads(proc.stdout)
    assert sorted(docs) == names, proc.stderr
    assert _warnings(proc.stderr) == []


def test_every_shipped_playbook_passes_syntax_check_by_fqcn(release):
    playbooks = sorted(p.stem for p in (release["root"] / "playbooks").glob("*.yml"))
    assert "site" in playbooks
    for name in playbooks:
        proc = _run([RELEASE_BIN / "ansible-playbook", "--syntax-check", "-i", "localhost,", f"{FQCN}.{name}"],
                    cwd=release["work"], env=release["env"])
        assert _warnings(proc.stderr) == [], name


def test_installed_roles_and_filters_work_with_only_the_declared_collections(release):
    """A run, not only a syntax check: the security_groups input checks need ansible.utils (tests
    and filters) and netaddr, the CIDR filters need their plugin_utils."""
    play = release["work"] / "checks.yml"
    play.write_text(yaml.safe_dump([{
        "name": "Installed content", "hosts": "localhost", "connection": "local", "gather_facts": False,
        "tasks": [
            {"name": "Input checks of security_groups", "ansible.builtin.include_role": {
                "name": f"{FQCN}.security_groups", "tasks_from": "validate.yml"}},
            {"name": "CIDR plan", "ansible.builtin.assert": {"that": [
                "('10.10.0.0/16' | devsecops.eks_platform.cidr_plan(['a', 'b']))[1].private == '10.10.144.0/20'",
                "({'a': {'cidr': '10.0.0.0/16'}, 'b': {'cidr': '10.0.0.0/17'}} | devsecops.eks_platform.cidr_problems)"
                " | length == 1",
                "'us-gov-west-1' is devsecops.eks_platform.aws_region",
                "'mars-north-1' is not devsecops.eks_platform.aws_region"]}},
        ]}]))
    ok = _run([RELEASE_BIN / "ansible-playbook", "-i", "localhost,", play,
               "-e", "ansible_python_interpreter=" + str(RELEASE_BIN / "python")],
              cwd=release["work"], env=release["env"])
    assert "failed=0" in ok.stdout
    bad = _run([RELEASE_BIN / "ansible-playbook", "-i", "localhost,", play,
                "-e", "ansible_python_interpreter=" + str(RELEASE_BIN / "python"),
                "-e", "security_groups_vpn_cidr=10.0.0.0/30"], cwd=release["work"], env=release["env"], check=False)
    assert bad.returncode != 0 and "security_groups_vpn_cidr" in bad.stdout
    assert "No test named" not in bad.stdout + bad.stderr and "No filter named" not in bad.stdout + bad.stderr


def test_changelog_is_linted_and_versions_match_releases():
    _run([DEV_BIN / "antsibull-changelog", "lint"], cwd=REPO)
    changes = yaml.safe_load((REPO / "changelogs" / "changelog.yaml").read_text())
    released = sorted(changes["releases"], key=Version)
    assert Version(GALAXY["version"]) >= Version(released[-1]) >= Version("1.0.0")
    for path in [*(REPO / "plugins").glob("*/*.py")]:
        m = re.search(r"^version_added:\s*['\"]?([0-9.]+)", path.read_text(), re.M)
        if m:
            # a released version, or the one galaxy.yml is heading for (not released yet)
            assert m.group(1) in released or m.group(1) == GALAXY["version"], \
                f"{path.relative_to(REPO)}: version_added {m.group(1)} is neither released nor galaxy.yml's next version"


def test_role_readmes_render_ansible_markup():
    raw = re.compile(r"\b[CVOIBMLU]\([^)]*\)|\bRV\(")
    found = {p.parent.name: raw.findall(p.read_text()) for p in (REPO / "roles").glob("*/README.md")}
    assert {k: v for k, v in found.items() if v} == {}


def test_generated_files_are_ignored_by_git():
    for generated in ("inventories/lab/lab_vms.yml", "lab/src/eks_lab.egg-info/SOURCES.txt", ".lab/ssh_config",
                      "reports/hosts/x.json", ".venv-release/bin/python", "collections/ansible_collections/awx/awx/x",
                      "tests/output/x.log", "devsecops-eks_platform-1.0.0.tar.gz"):
        assert _run(["git", "check-ignore", "-q", generated], cwd=REPO, check=False).returncode == 0, generated
    tracked = _run(["git", "ls-files", "lab/src"], cwd=REPO).stdout.split()
    assert not [f for f in tracked if ".egg-info/" in f]
