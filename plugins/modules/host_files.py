#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: devsecops.eks_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: host_files
short_description: Several files, directories and permissions of a host in one module run
version_added: 1.0.0
description:
  - Brings a list of paths to their desired state in one module run - file content, owner,
    group and mode, directories, absent files - and says which of them changed.
  - Why it exists - each M(ansible.builtin.template) or M(ansible.builtin.copy) task is two
    module runs on the host even when nothing changes (C(stat), then C(file) for the
    attributes), and a loop of M(ansible.builtin.file) is one per item. On a slow host (a TCG lab
    VM, about 2 s per module run) the scheduled no-op hardening run was mostly that overhead.
    The hardening roles group the files that share a handler into one task of this module.
  - Content comes from the controller - render templates there with
    C(lookup('ansible.builtin.template', ...)). Files are written atomically (temporary file in
    the same directory, then rename), so the SELinux context of an existing file is kept and a
    new file gets the policy's default.
  - With O(files[].validate), the new content is checked before it replaces the file; a failing
    check leaves the old file in place and fails the task.
  - Check mode reports what would change (and the diff) without changing anything; validation
    commands are not run in check mode, because on a fresh host the validator may not be
    installed yet.
author:
  - DevSecOps Platform Team (@devsecops)
options:
  files:
    description: The paths and their desired state, applied in order.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: Absolute path.
        type: path
        required: true
      state:
        description:
          - C(file) - a regular file; with O(files[].content) it is written, without it only
            the attributes of an existing file are enforced (a missing one fails).
          - C(directory) - created when missing (with its parents), then its attributes.
          - C(absent) - a file removed when present.
        type: str
        choices: [file, directory, absent]
        default: file
      content:
        description: Whole content of the file (text). Ignored with O(files[].state=absent), so
          one item can switch a file on and off.
        type: str
      owner:
        description: Owner (name or uid). Not enforced when omitted.
        type: str
      group:
        description: Group (name or gid). Not enforced when omitted.
        type: str
      mode:
        description: Octal mode as a string, for example C('0640'). Not enforced when omitted.
        type: str
      validate:
        description: Command that checks the new content before it is installed (none when
          empty); C(%s) is the path of the temporary file, for example C(/usr/sbin/visudo -cf %s).
        type: str
notes:
  - Supports check mode and diff mode (one diff per changed path).
seealso:
  - module: ansible.builtin.template
  - module: ansible.builtin.file
"""

EXAMPLES = r"""
- name: SSH daemon configuration and a private directory
  devsecops.eks_platform.host_files:
    files:
      - path: /etc/ssh/sshd_config
        content: "{{ lookup('ansible.builtin.template', 'sshd_config.j2') }}"
        owner: root
        group: root
        mode: "0600"
        validate: /usr/sbin/sshd -t -f %s
      - path: /var/lib/example
        state: directory
        owner: root
        group: root
        mode: "0700"
  register: config_files
  notify: Reload sshd

- name: Tighten the permissions of files the packages installed
  devsecops.eks_platform.host_files:
    files:
      - {path: /etc/shadow, owner: root, group: shadow, mode: "0640"}
      - {path: /etc/crontab, owner: root, group: root, mode: "0600"}
"""

RETURN = r"""
changed_paths:
  description: The paths that changed (or would change in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: [/etc/ssh/sshd_config]
files:
  description: One entry per path.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The path.
      type: str
    changed:
      description: Whether it changed (or would).
      type: bool
    changes:
      description: What changed - C(created), C(content), C(owner), C(group), C(mode), C(removed).
      type: list
      elements: str
  sample: [{path: /etc/ssh/sshd_config, changed: true, changes: [content]}]
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native, to_text


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _attributes(module, item, diff):
    """Owner, group and mode of an existing path; returns the names of the ones that differ
    (the setters honour check mode and fill the diff only for a difference)."""
    changes = []
    for name, setter in (("owner", module.set_owner_if_different),
                         ("group", module.set_group_if_different),
                         ("mode", module.set_mode_if_different)):
        if item[name] is not None and setter(item["path"], item[name], False, diff):
            changes.append(name)
    return changes


def _write(module, item, data):
    """Write data next to the path, validate it, move it into place."""
    path = item["path"]
    fd, tmp = tempfile.mkstemp(prefix=".eks-platform.", dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        if item["validate"]:
            if "%s" not in item["validate"]:
                module.fail_json(msg="validate must contain %%s: %s" % item["validate"], path=path)
            rc, out, err = module.run_command(item["validate"] % tmp)
            if rc != 0:
                module.fail_json(msg="validation of %s failed (rc %d): %s" % (path, rc, (err or out).strip()),
                                 path=path, rc=rc, stdout=out, stderr=err)
        module.atomic_move(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def apply(module, item):
    """Bring one path to its state. Returns (changes, diffs)."""
    path, state, check = item["path"], item["state"], module.check_mode
    exists = os.path.lexists(path)
    changes, diffs = [], []
    header = {"before_header": path, "after_header": path}

    if state == "absent":
        if exists:
            if os.path.isdir(path) and not os.path.islink(path):
                module.fail_json(msg="%s is a directory; state=absent removes files only" % path, path=path)
            changes.append("removed")
            diffs.append(dict(header, before={"path": path, "state": "file"}, after={"path": path, "state": "absent"}))
            if not check:
                os.unlink(path)
        return changes, diffs

    if state == "directory":
        if exists and not os.path.isdir(path):
            module.fail_json(msg="%s exists and is not a directory" % path, path=path)
        if not exists:
            changes.append("created")
            diffs.append(dict(header, before={"path": path, "state": "absent"}, after={"path": path, "state": "directory"}))
            if check:
                return changes, diffs
            os.makedirs(path)
    elif item["content"] is None:
        if not exists:
            module.fail_json(msg="%s does not exist (and no content was given to create it)" % path, path=path)
    else:
        if exists and not os.path.isfile(path):
            module.fail_json(msg="%s exists and is not a regular file" % path, path=path)
        data = to_bytes(item["content"], errors="surrogate_or_strict")
        old = _read(path) if exists else None
        if old != data:
            changes.append("content" if exists else "created")
            diffs.append(dict(header, before=to_text(old or b"", errors="surrogate_or_replace"),
                              after=to_text(data, errors="surrogate_or_replace")))
            if check and not exists:
                return changes, diffs
            if not check:
                _write(module, item, data)

    attr_diff = {"before": {"path": path}, "after": {"path": path}}
    changes.extend(_attributes(module, item, attr_diff))
    if len(attr_diff["before"]) > 1:
        diffs.append(dict(header, **attr_diff))
    return changes, diffs


def main():
    module = AnsibleModule(
        argument_spec=dict(
            files=dict(type="list", elements="dict", required=True, options=dict(
                path=dict(type="path", required=True),
                state=dict(type="str", choices=["file", "directory", "absent"], default="file"),
                content=dict(type="str"),
                owner=dict(type="str"),
                group=dict(type="str"),
                mode=dict(type="str"),
                validate=dict(type="str"),
            )),
        ),
        supports_check_mode=True,
    )
    results, changed_paths, diffs = [], [], []
    for item in module.params["files"]:
        if not os.path.isabs(item["path"]):
            module.fail_json(msg="path must be absolute: %s" % item["path"])
        if item["content"] is not None and item["state"] == "directory":
            module.fail_json(msg="content is not for a directory: %s" % item["path"])
        try:
            changes, item_diffs = apply(module, item)
        except (IOError, OSError) as e:
            module.fail_json(msg="%s: %s" % (item["path"], to_native(e)), path=item["path"],
                             files=results, changed_paths=changed_paths)
        results.append({"path": item["path"], "changed": bool(changes), "changes": changes})
        if changes:
            changed_paths.append(item["path"])
        diffs.extend(item_diffs)
    module.exit_json(changed=bool(changed_paths), changed_paths=changed_paths, files=results, diff=diffs)


if __name__ == "__main__":
    main()
