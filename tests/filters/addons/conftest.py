from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from filters.engine import BlocklistEngine
from tests.filters.builders import engine_for, spec

# mitmproxy.addons imports ldap3 (for proxyauth), which uses a name pyasn1 has deprecated; with
# filterwarnings = error that would fail collection, so it is imported once here, warning muted.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import mitmproxy.addons  # noqa: F401


@pytest.fixture
def engine(state_dir: Path) -> BlocklistEngine:
    return engine_for(
        state_dir,
        [
            (spec("judi", "gambling"), "judi.test\n198.51.100.0/24\nnews.example/slot-gacor\n"),
            (spec("tp", "porn"), "porn.test\n2001:db8:bad::/48\n"),
            (spec("ok", "porn", action="allow"), "198.51.100.9\n"),
        ],
    )
