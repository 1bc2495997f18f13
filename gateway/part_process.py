"""A part of the gateway (the resolver, the proxy) in a process of its own, tied to `run`.

Under systemd the whole unit is stopped together. Started by hand, or by the demo, a `run`
that is killed outright would leave its resolver and proxy behind, still answering and holding
their ports, so the next `run` could not start. Linux's parent-death signal ends them with it.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent() -> None:
    """Ask the kernel for SIGTERM when the parent exits; exit now if it already has."""
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        return  # not Linux: systemd (or the operator) stops the parts
    if os.getppid() != parent:  # the parent went before the request took effect
        sys.exit(0)


def run_part(target: Callable[..., None], *args: Any) -> None:
    """The entry point of a part's process: tie it to its parent, then run it."""
    die_with_parent()
    target(*args)
