"""The defaults shipped in blocklists/: never-block list, SafeSearch mapping, source definitions."""

from __future__ import annotations

from pathlib import Path

import pytest

from filters.names import name_key
from filters.never_block import NeverBlock
from filters.safesearch import SafeSearchError, load_safesearch
from gateway.config import effective_sources, parse_config


def test_never_block_list_protects_connectivity_checks_and_public_services() -> None:
    never_block = NeverBlock.load()
    for host in (
        "connectivitycheck.gstatic.com",
        "captive.apple.com",
        "www.msftconnecttest.com",
        "detectportal.firefox.com",
        "www.klikbca.com",
        "www.bmkg.go.id",
    ):
        assert host in never_block.names
    # A list entry for apple.com would take captive.apple.com with it.
    assert never_block.protected_by(name_key("apple.com")) is not None
    assert never_block.shields(name_key("a.captive.apple.com")) == "captive.apple.com"
    # Whole zones are not shielded: hacked go.id subdomains must stay blockable.
    assert never_block.shields(name_key("slot.pemda.go.id")) is None


def test_never_block_file_with_a_bad_line_is_an_error_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "never-block.txt"
    bad.write_text("captive.apple.com\nbad..name\n")
    with pytest.raises(ValueError, match="line 2: empty label"):
        NeverBlock.load(bad)


def test_safesearch_maps_every_provider_to_its_safe_endpoint() -> None:
    mapping = load_safesearch()
    assert mapping["www.google.com"] == "forcesafesearch.google.com"
    assert mapping["www.google.co.id"] == "forcesafesearch.google.com"
    assert mapping["google.com.sg"] == "forcesafesearch.google.com"
    assert mapping["www.youtube.com"] == "restrictmoderate.youtube.com"
    assert mapping["www.bing.com"] == "strict.bing.com"
    assert mapping["duckduckgo.com"] == "safe.duckduckgo.com"
    assert load_safesearch(strict=True)["m.youtube.com"] == "restrict.youtube.com"
    assert len([n for n, t in mapping.items() if t == "forcesafesearch.google.com"]) > 300


def test_safesearch_file_errors_name_the_provider_and_entry(tmp_path: Path) -> None:
    bad = tmp_path / "safesearch.toml"
    bad.write_text('[bing]\ntarget = "strict.bing.com"\nnames = ["bing.com", "bad..name"]\n')
    with pytest.raises(SafeSearchError, match=r"\[bing\]\.names\[1\]: empty label"):
        load_safesearch(bad)
    bad.write_text("[bing]\nnames = []\n")
    with pytest.raises(SafeSearchError, match=r"\[bing\] needs target and names"):
        load_safesearch(bad)


def test_default_sources_cover_every_category_and_include_the_allowlist() -> None:
    sources = effective_sources(parse_config({}).blocklists)
    names = [s.name for s in sources]
    assert names[0] == "trustpositif"  # reported first when lists overlap
    assert len(set(names)) == len(names)
    assert any(s.action == "allow" for s in sources)
    assert all(s.url.startswith("https://") for s in sources)
