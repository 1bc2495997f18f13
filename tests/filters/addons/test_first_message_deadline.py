"""The first-message deadline: its option is checked, and a connection that speaks is let be."""

from __future__ import annotations

import pytest
from mitmproxy import exceptions
from mitmproxy.test import tflow

from filters.addons.counters import ProxyCounters
from filters.addons.first_message_deadline import FirstMessageDeadline
from tests.filters.addons.harness import addon_context


def test_the_deadline_must_be_a_sensible_number_of_seconds() -> None:
    deadline = FirstMessageDeadline(ProxyCounters())
    with addon_context(deadline) as tctx:
        tctx.configure(deadline, first_message_deadline=3.5)
        assert deadline.deadline == 3.5
        for bad in (0.0, -1.0, 601.0):
            with pytest.raises(exceptions.OptionsError, match="first_message_deadline"):
                tctx.configure(deadline, first_message_deadline=bad)


def test_a_request_or_a_disconnect_stops_the_clock() -> None:
    deadline = FirstMessageDeadline(ProxyCounters())
    flow = tflow.tflow()
    deadline._waiting[flow.client_conn.id] = flow.client_conn
    deadline.request(flow)
    assert flow.client_conn.id not in deadline._waiting
    deadline._waiting[flow.client_conn.id] = flow.client_conn
    deadline.client_disconnected(flow.client_conn)
    assert deadline._waiting == {}
    deadline._check(flow.client_conn.id)  # already gone: nothing to close, nothing counted
    assert deadline.counters.snapshot() == {}
