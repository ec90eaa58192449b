#!/usr/bin/env python
"""Maintainer helper: draft meta/argument_specs.yml for a role from its defaults/main.yml.

Types come from the default values, descriptions from the comment lines above each variable.
The draft is a starting point to edit by hand; it is not run by the tests.

    python scripts/argspec_scaffold.py roles/ROLE "Short description" > roles/ROLE/meta/argument_specs.yml
"""
import re
import sys
from pathlib import Path

import yaml


class Dumper(yaml.SafeDumper):
    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def main() -> None:
    role, short = Path(sys.argv[1]), sys.argv[2]
    src = (role / "defaults" / "main.yml").read_text()
    defaults = yaml.safe_load(src) or {}
    notes, comment = {}, []
    for line in src.splitlines():
        if line.startswith("#"):
            comment.append(line.lstrip("# ").strip())
        elif re.match(r"^[a-z_]+:", line):
            notes[line.split(":")[0]] = " ".join(comment)
            comment = []
        elif not line.strip():
            comment = []
    options = {}
    for key, value in defaults.items():
        kind = {bool: "bool", int: "int", list: "list", dict: "dict"}.get(type(value), "str")
        opt = {"type": kind}
        if kind == "list":
            first = value[0] if value else ""
            opt["elements"] = {dict: "dict", int: "int", bool: "bool"}.get(type(first), "str")
        if key.endswith("_package_proxy"):
            notes.setdefault(key, "HTTP proxy for the package manager (no-egress hosts, lab guests); empty for direct.")
            if not notes[key]:
                notes[key] = "HTTP proxy for the package manager (no-egress hosts, lab guests); empty for direct."
        opt["description"] = notes.get(key) or key.split("_", 1)[1].replace("_", " ").capitalize() + "."
        options[key] = opt
    spec = {"argument_specs": {"main": {"short_description": short, "options": options}}}
    sys.stdout.write("---\n" + yaml.dump(spec, Dumper=Dumper, sort_keys=False, width=110))


if __name__ == "__main__":
    main()
