"""The fleet playbook: Ansible accepts it, ansible-lint's production profile passes, and the
role's config template gives every example site a config the gateway loads."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from gateway.config import load_config
from gateway.demo.netns import REPO

ANSIBLE = REPO / "deploy" / "ansible"
TOOLS = REPO / ".venv-ansible" / "bin"
pytestmark = [
    pytest.mark.skipif(not (TOOLS / "ansible-playbook").exists(),
                       reason="make test installs ansible-core and ansible-lint in .venv-ansible"),
    pytest.mark.timeout(300),
]  # fmt: skip

RENDER_PLAY = """---
- name: Render each site's config on the controller
  hosts: hotspots
  gather_facts: false
  connection: local
  roles:
    - render
"""
# A role with the real role's defaults (lowest precedence, below the inventory's host vars)
# that only renders the real template.
RENDER_TASKS = """---
- name: Render
  ansible.builtin.template:
    src: {template}
    dest: "{out}/{{{{ inventory_hostname }}}}.toml"
    mode: "0644"
"""


def ansible(tool: str, *args: str, cwd: Path = ANSIBLE) -> subprocess.CompletedProcess[str]:
    """An Ansible tool from its own venv, with its temporary files under /tmp."""
    env = {**os.environ, "PATH": f"{TOOLS}:{os.environ['PATH']}", "ANSIBLE_LOCAL_TEMP":
           "/tmp/ansible-local", "ANSIBLE_HOME": "/tmp/ansible-home", "NO_COLOR": "1"}  # fmt: skip
    return subprocess.run([str(TOOLS / tool), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=240)  # fmt: skip


def test_the_playbook_passes_the_syntax_check() -> None:
    done = ansible("ansible-playbook", "-i", "inventory.example.yml", "--syntax-check", "site.yml")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ansible_lint_production_profile_passes() -> None:
    done = ansible("ansible-lint", "--offline", "site.yml", "roles/")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Passed" in done.stdout + done.stderr and "production" in done.stdout + done.stderr


def test_every_site_gets_a_config_the_gateway_loads(tmp_path: Path) -> None:
    role = ANSIBLE / "roles" / "hotspot_gateway"
    render = tmp_path / "roles" / "render"
    (render / "tasks").mkdir(parents=True)
    shutil.copytree(role / "defaults", render / "defaults")
    template = role / "templates/gateway.toml.j2"
    (render / "tasks/main.yml").write_text(RENDER_TASKS.format(template=template, out=tmp_path))
    playbook = tmp_path / "render.yml"
    playbook.write_text(RENDER_PLAY)
    inventory = str(ANSIBLE / "inventory.example.yml")
    local_python = f"ansible_python_interpreter={TOOLS / 'python'}"
    done = ansible("ansible-playbook", "-i", inventory, "-e", local_python, str(playbook))
    assert done.returncode == 0, done.stdout + done.stderr
    configs = {p.stem: load_config(p) for p in tmp_path.glob("gw-*.toml")}
    assert set(configs) == {"gw-balai-krapyakrejo", "gw-taman-gadingrejo", "gw-puskesmas-purworejo"}
    balai = configs["gw-balai-krapyakrejo"]
    assert (balai.network.lan_interface, balai.network.wan_interface) == ("enp2s0", "enp1s0")
    assert (balai.firewall.uplink_mbit, balai.firewall.downlink_mbit) == (50, 50)
    assert balai.portal.hotspot_name == "Balai Kelurahan Krapyakrejo"
    assert balai.admin.listen == "10.200.1.11:8081"
    puskesmas = configs["gw-puskesmas-purworejo"]
    assert puskesmas.portal.max_clients == 60 and puskesmas.network.lan_interface == "eth1"
    assert puskesmas.portal.report_contact == "WA 0812-3456-7890 (Diskominfo)"
