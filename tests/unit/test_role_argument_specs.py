"""Role argument specs accept the documented shapes and reject bad input naming the variable
(ansible-core's own ArgumentSpecValidator: what validate_argument_spec runs before a role)."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

ROLES = Path(__file__).resolve().parents[2] / "roles"


def _validate(role: str, args: dict):
    spec = yaml.safe_load((ROLES / role / "meta" / "argument_specs.yml").read_text())
    return ArgumentSpecValidator(spec["argument_specs"]["main"]["options"]).validate(args)


def test_selinux_rules_are_dicts():
    result = _validate("selinux", {
        "selinux_fcontexts": [{"target": "/srv/web(/.*)?", "setype": "httpd_sys_content_t"}],
        "selinux_ports": [{"ports": "2222", "proto": "tcp", "setype": "ssh_port_t"}],
    })
    assert not result.error_messages
    assert result.validated_parameters["selinux_fcontexts"][0]["ftype"] == "a"
    assert result.validated_parameters["selinux_ports"][0]["state"] == "present"


@pytest.mark.parametrize("args, words", [
    ({"selinux_fcontexts": [{"target": "/srv/web"}]}, ["setype", "selinux_fcontexts"]),
    ({"selinux_ports": [{"ports": "2222", "proto": "sctp", "setype": "ssh_port_t"}]}, ["proto", "selinux_ports"]),
    ({"selinux_state": "on"}, ["selinux_state"]),
])
def test_selinux_bad_input_names_the_variable(args, words):
    messages = " ".join(_validate("selinux", args).error_messages)
    assert all(w in messages for w in words), messages
