#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: devsecops.eks_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: host_units
short_description: Several systemd units enabled, disabled, started or stopped in one module run
version_added: 1.1.0
description:
  - Reads the state of every listed unit with one C(systemctl show), then enables, disables,
    stops and starts only the ones that differ (one C(systemctl) call per action, for all the
    units that need it), and says which changed.
  - Why it exists - M(ansible.builtin.systemd_service) is one module run per unit and runs
    C(systemctl) several times in each; on a slow host (a TCG lab VM) that was 4.5 s per unit
    in the scheduled no-op hardening run, 10 s for a loop of two. The hardening roles keep the
    units of one area in one task of this module.
  - Restarts and reloads are not its business - they belong to handlers
    (M(ansible.builtin.systemd_service) with O(ansible.builtin.systemd_service#module:state=restarted)).
  - A unit that systemd does not know, or a masked one, fails the task (naming it) when it
    should be enabled or started; when it should be disabled or stopped it already is, so a list
    of unwanted services may name units the host may not have.
  - Check mode reports what would change (and the diff) without changing anything.
author:
  - DevSecOps Platform Team (@devsecops)
options:
  units:
    description: The units and their desired state. Every action applies to all the units that
      need it at once; systemd orders the start jobs by the units' dependencies.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Unit name with its suffix, for example C(nftables.service) or C(tmp.mount).
        type: str
        required: true
      enabled:
        description:
          - V(true) - enabled at boot; a unit whose file state is C(static), C(indirect),
            C(generated), C(transient) or C(alias) counts as enabled (it cannot be enabled).
          - V(false) - not enabled at boot (C(masked) counts as not enabled).
          - Not enforced when omitted.
        type: bool
      state:
        description:
          - C(started) - active (a unit that is starting or reloading counts as active).
          - C(stopped) - inactive or failed.
          - Not enforced when omitted.
        type: str
        choices: [started, stopped]
  daemon_reload:
    description: Run C(systemctl daemon-reload) before reading the units (after unit files
      changed). In check mode it is not run, and counts as no change.
    type: bool
    default: false
notes:
  - Supports check mode and diff mode (one diff per changed unit).
  - Needs systemd as the host's init (a systemd container counts).
seealso:
  - module: ansible.builtin.systemd_service
"""

EXAMPLES = r"""
- name: Firewall at boot, time-sync client running
  devsecops.eks_platform.host_units:
    units:
      - {name: nftables.service, enabled: true}
      - {name: chrony.service, enabled: true, state: started}

- name: Scan timer running after its unit files changed
  devsecops.eks_platform.host_units:
    daemon_reload: "{{ scan_units is changed }}"
    units:
      - {name: eks-clamav-scan.timer, enabled: true, state: started}

- name: Unneeded services stopped and disabled
  devsecops.eks_platform.host_units:
    units:
      - {name: avahi-daemon.service, enabled: false, state: stopped}
      - {name: cups.service, enabled: false, state: stopped}
"""

RETURN = r"""
changed_units:
  description: The units that changed (or would change in check mode), in the order given.
  returned: always
  type: list
  elements: str
  sample: [chrony.service]
units:
  description: One entry per unit, with its state before the task.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The unit.
      type: str
    load_state:
      description: systemd's C(LoadState) (C(loaded), C(masked), ...).
      type: str
    unit_file_state:
      description: systemd's C(UnitFileState) (C(enabled), C(disabled), C(static), ...; empty
        for a unit without a unit file, such as a mount from /etc/fstab).
      type: str
    active_state:
      description: systemd's C(ActiveState) (C(active), C(inactive), C(failed), ...).
      type: str
    changes:
      description: What changed - C(enabled), C(disabled), C(started), C(stopped).
      type: list
      elements: str
  sample: [{name: chrony.service, load_state: loaded, unit_file_state: enabled,
            active_state: inactive, changes: [started]}]
"""

from ansible.module_utils.basic import AnsibleModule

PROPERTIES = ("Id", "LoadState", "UnitFileState", "ActiveState")
# UnitFileState values for which `systemctl enable` has nothing to do (or cannot do anything).
ENABLED = frozenset(("enabled", "enabled-runtime", "static", "indirect", "generated", "transient", "alias"))
# ActiveState values that count as running.
ACTIVE = frozenset(("active", "activating", "reloading"))


def parse_show(text, names):
    """`systemctl show -p ... u1 u2` prints one block of KEY=value lines per unit, in the order
    asked, separated by empty lines. Returns {name: {property: value}}."""
    blocks = text.strip("\n").split("\n\n")
    if len(blocks) != len(names):
        raise ValueError("systemctl show printed %d blocks for %d units" % (len(blocks), len(names)))
    result = {}
    for name, block in zip(names, blocks):
        props = {}
        for line in block.splitlines():
            key, sep, value = line.partition("=")
            if sep:
                props[key] = value
        result[name] = props
    return result


def plan(unit, props):
    """The actions one unit needs (enable, disable, stop, start), or a reason it cannot get
    there."""
    load, file_state, active = props.get("LoadState", ""), props.get("UnitFileState", ""), props.get("ActiveState", "")
    wants_on = unit["enabled"] is True or unit["state"] == "started"
    if load == "not-found" and wants_on:
        return None, "%s: systemd does not know this unit (not installed?)" % unit["name"]
    if load == "masked" and wants_on:
        return None, "%s is masked; unmask it first (this module never unmasks)" % unit["name"]
    actions = []
    if unit["enabled"] is True and file_state not in ENABLED:
        actions.append("enable")
    if unit["enabled"] is False and file_state in ("enabled", "enabled-runtime"):
        actions.append("disable")
    if unit["state"] == "stopped" and active in ACTIVE | {"deactivating"}:
        actions.append("stop")
    if unit["state"] == "started" and active not in ACTIVE:
        actions.append("start")
    return actions, None


PAST = {"enable": "enabled", "disable": "disabled", "stop": "stopped", "start": "started"}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            units=dict(type="list", elements="dict", required=True, options=dict(
                name=dict(type="str", required=True),
                enabled=dict(type="bool"),
                state=dict(type="str", choices=["started", "stopped"]),
            )),
            daemon_reload=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    units = module.params["units"]
    names = [unit["name"] for unit in units]
    if len(set(names)) != len(names):
        module.fail_json(msg="a unit is listed twice: %s" % ", ".join(sorted(n for n in set(names) if names.count(n) > 1)))
    systemctl = module.get_bin_path("systemctl", required=True)

    def run(*args):
        rc, out, err = module.run_command([systemctl] + list(args))
        if rc != 0:
            module.fail_json(msg="systemctl %s failed (rc %d): %s" % (" ".join(args), rc, (err or out).strip()),
                             rc=rc, stdout=out, stderr=err)
        return out

    if module.params["daemon_reload"] and not module.check_mode:
        run("daemon-reload")
    if not units:
        module.exit_json(changed=False, changed_units=[], units=[])
    try:
        shown = parse_show(run("show", "--property=" + ",".join(PROPERTIES), "--", *names), names)
    except ValueError as e:
        module.fail_json(msg=str(e))

    results, by_action, diffs, problems = [], {}, [], []
    for unit in units:
        props = shown[unit["name"]]
        actions, problem = plan(unit, props)
        if problem:
            problems.append(problem)
            continue
        for action in actions:
            by_action.setdefault(action, []).append(unit["name"])
        before = {"enabled": props.get("UnitFileState", ""), "active": props.get("ActiveState", "")}
        after = dict(before)
        for action in actions:
            if action in ("enable", "disable"):
                after["enabled"] = PAST[action]
            else:
                after["active"] = "active" if action == "start" else "inactive"
        if actions:
            diffs.append({"before_header": unit["name"], "after_header": unit["name"], "before": before, "after": after})
        results.append({"name": unit["name"], "load_state": props.get("LoadState", ""),
                        "unit_file_state": props.get("UnitFileState", ""),
                        "active_state": props.get("ActiveState", ""),
                        "changes": [PAST[action] for action in actions]})
    if problems:
        module.fail_json(msg="; ".join(problems), units=results)

    if not module.check_mode:
        # Off before on: a unit to disable and stop is never started by another's start job first.
        for action in ("disable", "stop", "enable", "start"):
            if by_action.get(action):
                run(action, "--", *by_action[action])
    changed_units = [result["name"] for result in results if result["changes"]]
    module.exit_json(changed=bool(changed_units), changed_units=changed_units, units=results, diff=diffs)


if __name__ == "__main__":
    main()
