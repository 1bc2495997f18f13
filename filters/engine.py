"""The blocklist engine every filter asks: `lookup(name)` gives a Verdict; `refresh()` hot-swaps.

Lookups take no lock: each swap is a single attribute assignment of a fully loaded snapshot or
overlay, so a lookup sees the old one or the new one, never half of either; an old snapshot is
unmapped when the last lookup holding it has finished.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from filters.compiler import file_sha256
from filters.line_finder import find_line
from filters.names import InvalidName, normalise_name
from filters.never_block import NeverBlock
from filters.overlay import Overlay, OverlayEntry
from filters.parsers import EXCEPTION
from filters.snapshot import Snapshot
from filters.staff import AuditLog, staff_entries
from filters.store import SnapshotStore
from filters.suffix_table import SuffixTable
from filters.verdict import UNLISTED, Tier, Verdict


def build_overlay(never_block: NeverBlock, audit: AuditLog) -> Overlay:
    """Never-block names plus the staff entries in force."""
    entries = [OverlayEntry(n, Tier.NEVER_BLOCK, source="never-block") for n in never_block.names]
    for entry in staff_entries(audit.events()).values():
        tier = Tier.STAFF_BLOCK if entry.action == "add" else Tier.STAFF_ALLOW
        entries.append(OverlayEntry(entry.name, tier, entry.category, entry.reason, "staff"))
    return Overlay(entries)


Hits = list[tuple[int, int]]
MatchBoth = Callable[[SuffixTable, str], tuple[Hits | None, Hits | None] | None]
_State = tuple[
    MatchBoth,
    SuffixTable,
    Callable[[Hits], Verdict | None],
    Callable[[str, Hits], Verdict | None],
    Snapshot | None,
]
_EMPTY = SuffixTable(bytes(64), bytes(16))


def _no_verdict(name: str, hits: Hits) -> Verdict | None:
    return None


def _state(overlay: Overlay, snapshot: Snapshot | None) -> _State:
    """What a lookup calls, taken together from one overlay and one snapshot."""
    if snapshot is None:
        return (_EMPTY.match_both, overlay.table, overlay.decide, _no_verdict, None)
    return (snapshot.table.match_both, overlay.table, overlay.decide, snapshot.explain, snapshot)


class BlocklistEngine:
    """Answers lookups from the current snapshot and overlay; picks up new ones on refresh()."""

    def __init__(self, state_dir: Path, never_block: NeverBlock | None = None) -> None:
        self.store = SnapshotStore(state_dir)
        self.never_block = never_block or NeverBlock.load()
        self.audit = AuditLog(self.store.audit_path)
        self._refresh_lock = threading.Lock()
        self._snapshot_path: Path | None = None
        self._audit_signature: tuple[int, int] | None = None
        self._snapshot: Snapshot | None = None
        self.generation = 0
        self._overlay = Overlay([])  # replaced by refresh() below, before any lookup
        self._state: _State = _state(self._overlay, None)
        self.refresh()

    @property
    def snapshot(self) -> Snapshot | None:
        """The snapshot now answering lookups."""
        return self._snapshot

    def refresh(self) -> bool:
        """Load a newer snapshot or staff edits if there are any; True if anything changed."""
        with self._refresh_lock:
            changed = False
            path = self.store.current_path()
            if path != self._snapshot_path:
                # Load fully before the swap, so lookups only ever see a working snapshot.
                self._snapshot = Snapshot(path) if path is not None else None
                self._snapshot_path = path
                changed = True
            signature = self.audit.signature()
            if signature != self._audit_signature:
                self._overlay = build_overlay(self.never_block, self.audit)
                self._audit_signature = signature
                changed = True
            if changed:
                # One assignment swaps everything a lookup uses, so it never mixes an old
                # snapshot's hits with a new one's tables.
                self._state = _state(self._overlay, self._snapshot)
                # Then the generation, which caches of finished answers watch: whoever sees
                # the new number finds the new lists in place.
                self.generation += 1
            return changed

    def lookup(self, name: str) -> Verdict:
        """The verdict for a name as queried (any case, trailing dot or not, Unicode or not)."""
        if not name.isascii():
            try:
                name = normalise_name(name)
            except InvalidName:
                return UNLISTED
        match_both, overlay_table, overlay_decide, snapshot_explain, _ = self._state
        found = match_both(overlay_table, name)  # one pass over the name for both tables
        if found is None:
            return UNLISTED
        overlay_hits, hits = found
        if overlay_hits is not None:
            verdict = overlay_decide(overlay_hits)
            if verdict is not None:
                return verdict
        if hits is not None:
            return snapshot_explain(name, hits) or UNLISTED
        return UNLISTED

    def fast_lists(self) -> tuple[MatchBoth, SuffixTable, Snapshot | None]:
        """What a lookup in C needs, from one snapshot and one overlay (see gateway/dns)."""
        match_both, overlay_table, _, _, snapshot = self._state
        return match_both, overlay_table, snapshot

    def lookup_address(self, address: str) -> Verdict:
        """The verdict for a destination address, by the lists' address entries."""
        snapshot = self._snapshot
        found = snapshot.match_address(address) if snapshot is not None else None
        return found or UNLISTED

    def lookup_request(self, host: str, target: str) -> Verdict:
        """The verdict for a plain HTTP request: its host first, then the lists' page entries.

        An allowed host (never-block, staff, a list's exception) is allowed whole: a page entry
        is narrower than any of them and must not undo what staff or an allowlist decided.
        """
        verdict = self.lookup(host)
        if verdict.blocked or verdict.tier != Tier.NONE:
            return verdict
        snapshot = self._snapshot
        if snapshot is None or not snapshot.pages:
            return verdict
        name = host.lower().rstrip(".")
        if not name.isascii():
            try:
                name = normalise_name(name)
            except InvalidName:
                return verdict
        return snapshot.match_page(name, target) or verdict

    def explain(self, name: str) -> Verdict:
        """Like lookup, plus the line of the list that decided it (for staff; reads the list)."""
        verdict = self.lookup(name)
        snapshot = self._snapshot
        if snapshot is None or verdict.listed is None or verdict.source is None:
            return verdict
        exact = name.lower().rstrip(".") == verdict.listed or (
            not name.isascii() and normalise_name(name) == verdict.listed
        )
        found = snapshot.attribution(verdict.listed, exact)
        if found is None or verdict.tier not in (Tier.LIST_BLOCK, Tier.LIST_EXCEPTION):
            return verdict
        source, flags = found
        return verdict._replace(line=self._line_of(snapshot, source.name, verdict.listed, flags))

    def explain_address(self, address: str) -> Verdict:
        """Like lookup_address, plus the line of the list that decided it."""
        verdict = self.lookup_address(address)
        snapshot = self._snapshot
        found = snapshot.addresses.match(address) if snapshot is not None else None
        if snapshot is None or found is None:
            return verdict
        listed, source_index, flags = found
        source = snapshot.sources[source_index].name
        return verdict._replace(line=self._line_of(snapshot, source, listed, flags))

    def explain_request(self, host: str, target: str) -> Verdict:
        """Like lookup_request, plus the line of the list that decided it."""
        verdict = self.lookup_request(host, target)
        snapshot = self._snapshot
        if snapshot is None or verdict.listed is None or "/" not in verdict.listed:
            return self.explain(host) if verdict.listed is not None else verdict
        found = snapshot.pages.match(verdict.listed.partition("/")[0], target)
        if found is None:
            return verdict
        listed, source_index, flags = found
        source = snapshot.sources[source_index].name
        return verdict._replace(line=self._line_of(snapshot, source, listed, flags))

    def _line_of(self, snapshot: Snapshot, source: str, listed: str, flags: int) -> int | None:
        """The line of a source's kept copy that gave an entry, if it is the copy compiled."""
        meta = next((s for s in snapshot.meta["sources"] if s["name"] == source), None)
        copy = self.store.source_copy(source)
        # Only a copy that is byte for byte the one compiled can say which line it was.
        if meta is None or not copy.exists() or file_sha256(copy) != meta.get("sha256"):
            return None
        extra = EXCEPTION if meta.get("action") == "allow" else 0
        return find_line(copy, meta["format"], listed, flags, extra)
