# -*- coding: utf-8 -*-
# Copyright: devsecops.eks_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: host_probe
short_description: The lines of a hardening role's read-only probe, by section
version_added: 1.1.0
description:
- Each hardening role reads what it needs from the host in one command at its start - which of its
  packages are installed, how the mounts look, whether a file exists - because every module run costs
  seconds on a slow host. The command prints one fact per line, the line's first word naming the
  section; this filter groups them.
- A section named in O(packages) holds C(dpkg-query --showformat='${Package} ${db:Status-Status}')
  lines and becomes a dictionary, package to status (C(installed), C(config-files), C(not-installed), ...);
  and the key C(installed) lists the packages of those sections whose status is C(installed) (in the
  order printed; empty when there is none, so a probe may not name a section C(installed)).
  Every other section is the list of the rest of its lines (an empty string for a line that is the
  section name alone).
- A section the command printed no line for is absent; use C(default()).
options:
  _input:
    description: The probe's output lines (C(stdout_lines)).
    type: list
    elements: str
    required: true
  packages:
    description: The sections that are dpkg-query lines.
    type: list
    elements: str
    default: [package]
"""

EXAMPLES = r"""
- name: Read the host's state
  ansible.builtin.shell: |
    dpkg-query --show --showformat='package ${Package} ${db:Status-Status}\n' aide 2>/dev/null
    [ -e /var/lib/aide/aide.db ] && echo database
  register: probe
  changed_when: false
  failed_when: false
  check_mode: false

- name: Use it
  ansible.builtin.debug:
    msg: >-
      aide is {{ (probe.stdout_lines | devsecops.eks_platform.host_probe).package.aide | default('unknown') }}
      ({{ 'aide' in (probe.stdout_lines | devsecops.eks_platform.host_probe).installed }}),
      the database {{ 'exists' if 'database' in (probe.stdout_lines | devsecops.eks_platform.host_probe) else 'is missing' }}
"""

RETURN = r"""
_value:
  description: Section name to its values (a list of strings, or for the package sections a dictionary),
    and C(installed).
  type: dict
"""

from ansible.errors import AnsibleFilterError


def host_probe(lines, packages=("package",)):
    if isinstance(lines, str):
        lines = lines.splitlines()
    sections = {"installed": []}
    for line in lines:
        words = line.split(None, 1)
        if not words:
            continue
        name, rest = words[0], words[1].strip() if len(words) > 1 else ""
        if name in packages:
            fields = rest.split()
            if len(fields) != 2:
                raise AnsibleFilterError("host_probe: a %s line needs a package and its status, got %r" % (name, line))
            sections.setdefault(name, {})[fields[0]] = fields[1]
            if fields[1] == "installed":
                sections["installed"].append(fields[0])
        elif name == "installed":
            raise AnsibleFilterError("host_probe: 'installed' is the list of installed packages, not a section: %r" % line)
        else:
            sections.setdefault(name, []).append(rest)
    return sections


class FilterModule(object):
    def filters(self):
        return {"host_probe": host_probe}
