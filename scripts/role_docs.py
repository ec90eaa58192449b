#!/usr/bin/env python
"""Generate each role's README.md from its meta/argument_specs.yml and defaults/main.yml.

    python scripts/role_docs.py          # write the READMEs
    python scripts/role_docs.py --check  # fail if any README is stale (run by scripts/test.sh)
"""
import sys
from pathlib import Path

import yaml
from antsibull_docs_parser import dom
from antsibull_docs_parser.parser import Context, parse

ROLES = Path(__file__).resolve().parents[1] / "roles"


# Each part of parsed Ansible doc markup, written as plain Markdown.
_PART = {
    dom.PartType.TEXT: lambda p: p.text,
    dom.PartType.CODE: lambda p: f"`{p.text}`",
    dom.PartType.OPTION_VALUE: lambda p: f"`{p.value}`",
    dom.PartType.OPTION_NAME: lambda p: f"`{p.name}`",
    dom.PartType.RETURN_VALUE: lambda p: f"`{p.name}`",
    dom.PartType.ENV_VARIABLE: lambda p: f"`{p.name}`",
    dom.PartType.MODULE: lambda p: f"`{p.fqcn}`",
    dom.PartType.PLUGIN: lambda p: f"`{p.plugin.fqcn}`",
    dom.PartType.ITALIC: lambda p: f"*{p.text}*",
    dom.PartType.BOLD: lambda p: f"**{p.text}**",
    dom.PartType.URL: lambda p: f"<{p.url}>",
    dom.PartType.LINK: lambda p: f"[{p.text}]({p.url})",
}


def md(text) -> str:
    """Ansible doc markup (C(), V(), O(), I(), B(), U(), L(), M()...) as Markdown on one line.
    antsibull-docs-parser parses the markup; its own Markdown writer escapes every punctuation
    mark (`per\\-host reports\\.`), which reads badly in the raw file, so the parts are written
    here plainly. Anything else (horizontal line, RST reference, parse error) keeps its source."""
    paragraphs = parse(" ".join(str(text or "").split()), Context(role_entrypoint="main"))
    return "".join(_PART.get(part.type, lambda p: getattr(p, "text", "") or p.source or "")(part)
                   for para in paragraphs for part in para)


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "&#124;")


def render(role: Path) -> str:
    spec = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]
    defaults_file = role / "defaults" / "main.yml"
    defaults = yaml.safe_load(defaults_file.read_text()) if defaults_file.exists() else {}
    defaults = defaults or {}
    lines = [f"# devsecops.eks_platform.{role.name}", "", md(spec["short_description"]), ""]
    for para in spec.get("description", []):
        lines += [md(para), ""]
    lines += ["<!-- Generated from meta/argument_specs.yml by scripts/role_docs.py; do not edit. -->", "",
              "| variable | type | default | description |", "|---|---|---|---|"]
    for name, opt in spec.get("options", {}).items():
        kind = opt.get("type", "str") + (f" of {opt['elements']}" if opt.get("elements") else "")
        if opt.get("required"):
            default = "**required**"
        elif name in defaults:
            default = "`" + yaml.safe_dump(defaults[name], default_flow_style=True, width=10_000).strip().removesuffix("...").strip() + "`"
        else:
            default = ""
        desc = md(opt.get("description", ""))
        if opt.get("choices"):
            desc += " Choices: " + ", ".join(f"`{c}`" for c in opt["choices"]) + "."
        lines.append(f"| `{name}` | {kind} | {cell(default)} | {cell(desc)} |")
    lines += ["", "Example:", "", "```yaml", "- hosts: all", "  roles:", f"    - role: devsecops.eks_platform.{role.name}", "```", ""]
    return "\n".join(lines)


def main() -> int:
    stale = []
    for role in sorted(p for p in ROLES.iterdir() if (p / "meta" / "argument_specs.yml").exists()):
        text, readme = render(role), role / "README.md"
        if "--check" in sys.argv:
            if not readme.exists() or readme.read_text() != text:
                stale.append(str(readme))
        else:
            readme.write_text(text)
    if stale:
        print("stale role READMEs (run python scripts/role_docs.py):\n  " + "\n  ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
