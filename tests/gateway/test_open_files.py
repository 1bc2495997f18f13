"""`run` raises its soft limit on open files itself, as systemd starts it at 1,024."""

from __future__ import annotations

import subprocess
import sys

CHILD = """
import resource
from gateway.open_files import raise_open_files_limit
_, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))
print(raise_open_files_limit(), resource.getrlimit(resource.RLIMIT_NOFILE)[0], hard)
"""


def run_child(code: str) -> list[int]:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)  # fmt: skip
    return [int(x) for x in done.stdout.split()]


def test_the_soft_limit_is_raised_to_the_hard_limit_or_65536() -> None:
    returned, soft, hard = run_child(CHILD)
    assert returned == soft == min(hard, 65_536) > 1024


def test_a_hard_limit_below_what_is_wanted_is_used_whole_and_never_lowered() -> None:
    code = CHILD.replace("(1024, hard)", "(1024, 4096)").replace("hard = ", "_hard = ")
    code = code.replace("print(", "hard = 4096\nprint(")
    returned, soft, hard = run_child(code)
    assert returned == soft == hard == 4096
