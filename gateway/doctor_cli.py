"""`hotspot-gateway doctor --config F`: a checklist of what the gateway needs, with fixes.

Exit 0 when nothing blocks service (warnings allowed), 1 when something does, 2 for a config
that does not load (its key named, as for every command).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from gateway.config import load_config
from gateway.doctor.checks import FAIL, WARN, Finding, diagnose
from gateway.doctor.facts import gather

AddOptions = Callable[[argparse.ArgumentParser], None]
MARKS = {"ok": "[ OK  ]", "warn": "[AWAS ]", "fail": "[GAGAL]"}


def add_doctor_command(commands: Any, add_common: AddOptions) -> None:
    """Register `doctor`."""
    doctor = commands.add_parser("doctor", help="check this gateway and say how to fix it",
                                 description=__doc__.splitlines()[0])  # fmt: skip
    add_common(doctor)
    doctor.add_argument("--json", action="store_true", help="print the findings as JSON")
    doctor.set_defaults(handler=cmd_doctor)


def render(findings: list[Finding]) -> str:
    """The checklist as an installer reads it."""
    lines = []
    for finding in findings:
        lines.append(f"{MARKS[finding.status]} {finding.title}")
        if finding.fix and finding.status != "ok":
            lines.append(f"        perbaiki / fix: {finding.fix}")
    failed = sum(f.status == FAIL for f in findings)
    warned = sum(f.status == WARN for f in findings)
    verdict = ("layanan terhambat / service is blocked" if failed
               else "siap melayani / ready to serve")  # fmt: skip
    lines.append(f"{len(findings) - failed - warned} ok, {warned} peringatan / warnings, "
                 f"{failed} gagal / failed: {verdict}")  # fmt: skip
    return "\n".join(lines)


def cmd_doctor(args: argparse.Namespace) -> int:
    """Gather, judge, print; non-zero when something blocks service."""
    config = load_config(args.config)
    findings = diagnose(config, gather(config))
    if args.json:
        print(json.dumps([asdict(f) for f in findings], ensure_ascii=False, indent=1))
    else:
        print(f"hotspot-gateway doctor: {args.config}")
        print(render(findings))
    return 1 if any(f.status == FAIL for f in findings) else 0
