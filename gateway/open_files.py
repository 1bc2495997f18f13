"""The gateway's own limit on open files, raised from the service manager's default.

systemd starts services with a soft limit of 1,024 open files. The proxy holds a socket for
every phone's connection (and one to the server for each passed through), and the resolver
one per TCP client: a hundred phones with a browser and a few apps each reach that, and a
single misbehaving phone may open 256. Past the limit, accept() fails and every phone is cut
off, not only the one that opened too much. Like nginx's `worker_rlimit_nofile` and squid's
`max_filedescriptors`, the gateway raises its soft limit to the hard limit it was given,
before its parts start, so each process inherits it.
"""

from __future__ import annotations

import logging
import resource

log = logging.getLogger(__name__)

WANTED = 65_536  # far above what the per-phone caps allow a full hotspot to open
ENOUGH = 8_192  # below this, a full hotspot with a few misbehaving phones can run out


def raise_open_files_limit(wanted: int = WANTED) -> int:
    """Raise the soft limit on open files towards `wanted` (within the hard limit); the result."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    if soft != resource.RLIM_INFINITY and soft < ENOUGH:
        log.warning("only %d open files allowed (hard limit); raise LimitNOFILE", soft)
    return soft
