"""`run` raises its soft limit on open files itself, as systemd starts it at 1,024."""

from __future__ import annotations

import resource
import subprocess
import sys

# In a child, so this test's own limits stay as they were: start at systemd's 1,024 under the
# given hard limit, raise, and print what was returned and what the kernel now says.
CHILD = """
import resource, sys
from gateway.open_files import raise_open_files_limit
resource.setrlimit(resource.RLIMIT_NOFILE, (1024, int(sys.argv[1])))
print(raise_open_files_limit(), *resource.getrlimit(resource.RLIMIT_NOFILE))
"""


def raised_under(hard: int) -> list[int]:
    """(returned, soft, hard) after raising in a process started at 1,024 under `hard`."""
    done = subprocess.run([sys.executable, "-c", CHILD, str(hard)], capture_output=True,
                          text=True, timeout=60, check=True)  # fmt: skip
    return [int(x) for x in done.stdout.split()]


def test_the_soft_limit_is_raised_to_the_hard_limit_or_65536() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    returned, soft, kept_hard = raised_under(hard)
    wanted = 65_536 if hard == resource.RLIM_INFINITY else min(hard, 65_536)
    assert returned == soft == wanted > 1024 and kept_hard == hard


def test_a_hard_limit_below_what_is_wanted_is_used_whole() -> None:
    assert raised_under(4096) == [4096, 4096, 4096]
