"""Config loading: defaults, the example file, and errors that name the key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gateway.config import (
    DEFAULT_SOURCES_FILE,
    GatewayConfig,
    effective_sources,
    load_config,
    parse_config,
)
from gateway.config_values import ConfigError
from tests.conftest import REPO


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gateway.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_empty_config_gives_the_documented_defaults() -> None:
    config = parse_config({})
    assert config == GatewayConfig()
    assert config.dns.listen == ("10.77.0.1:53",)
    assert config.portal.max_clients == 100
    assert config.portal.idle_timeout == 15 * 60
    assert config.blocklists.categories == ("porn", "gambling", "malware", "phishing", "dns-bypass")


def test_example_config_in_deploy_loads() -> None:
    config = load_config(REPO / "deploy" / "gateway.example.toml")
    assert config.portal.session_timeout == 12 * 3600
    assert config.blocklists.max_source_size == 1 << 30


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[dns]\nrate_limt = 5\n", "dns.rate_limt: unknown key"),
        ("[dnss]\n", "[dnss]: unknown section"),
        ('[dns]\nrate_limit = "fast"\n', "dns.rate_limit: expected a whole number"),
        ("[dns]\nrate_limit = -1\n", "dns.rate_limit: must be at least 0"),
        ('[dns]\nblocked_answer = "refuse"\n', "dns.blocked_answer: expected one of"),
        ('[dns]\nlisten = ["10.77.0.1"]\n', 'dns.listen[0]: expected "address:port"'),
        ('[dns]\nupstreams = ["1.1.1.1:99999"]\n', "dns.upstreams[0]: port must be"),
        ('[dns]\nrate_limit_exempt = ["10.77.0.300/32"]\n', "dns.rate_limit_exempt[0]"),
        ('[portal]\nidle_timeout = "soon"\n', "portal.idle_timeout: expected a duration"),
        ('[portal]\nlanguage = "fr"\n', "portal.language: expected one of id, en"),
        ("[portal]\nmax_clients = 0\n", "portal.max_clients: must be at least 1"),
        ('[network]\nlan_address = "10.99.0.1"\n', "network.lan_address: 10.99.0.1 is outside"),
        ('[proxy]\nenabled = "yes"\n', "proxy.enabled: expected true or false"),
        ("[blocklists]\nsources = 3\n", "blocklists.sources: expected"),
        ("dns = 3\n", "dns: expected a table"),
    ],
)
def test_bad_values_are_one_line_errors_naming_the_key(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert message in str(caught.value)
    assert str(caught.value).startswith(str(path))
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ('name = "a"\ncategory = "porn"\n', "blocklists.sources[0].url: missing"),
        ('name = "a"\nurl = "ftp://x/y"\ncategory = "porn"\n', "sources[0].url: must start"),
        ('name = "a"\nurl = "file:///x"\ncategory = "sports"\n', "sources[0].category: 'sports'"),
        ('name = "a"\nurl = "file:///x"\ncategory = "porn"\nformat = "csv"\n', ".format"),
        ('name = "a b"\nurl = "file:///x"\ncategory = "porn"\n', "sources[0].name: use letters"),
        ('name = "a"\nurl = "file:///x"\ncategory = "porn"\ncolour = 1\n', "colour: unknown"),
    ],
)
def test_bad_sources_name_the_source_and_key(tmp_path: Path, source: str, message: str) -> None:
    with pytest.raises(ConfigError, match=None) as caught:
        load_config(write(tmp_path, f"[[blocklists.sources]]\n{source}"))
    assert message in str(caught.value)


def test_duplicate_source_names_are_rejected(tmp_path: Path) -> None:
    one = '[[blocklists.sources]]\nname = "a"\nurl = "file:///x"\ncategory = "porn"\n'
    with pytest.raises(ConfigError, match=r"sources\[1\]\.name: duplicate"):
        load_config(write(tmp_path, one + one))


def test_allow_sources_need_no_category(tmp_path: Path) -> None:
    text = '[[blocklists.sources]]\nname = "fp"\nurl = "file:///x"\naction = "allow"\n'
    (source,) = load_config(write(tmp_path, text)).blocklists.sources
    assert (source.action, source.category) == ("allow", "allowlist")


def test_configured_sources_replace_the_shipped_defaults(tmp_path: Path) -> None:
    text = '[[blocklists.sources]]\nname = "mine"\nurl = "file:///x"\ncategory = "porn"\n'
    config = load_config(write(tmp_path, text))
    assert [s.name for s in effective_sources(config.blocklists)] == ["mine"]
    defaults = effective_sources(parse_config({}).blocklists)
    assert len(defaults) >= 5
    assert {s.category for s in defaults if s.action == "block"} == {
        "porn", "gambling", "malware", "phishing", "dns-bypass",
    }  # fmt: skip
    assert DEFAULT_SOURCES_FILE.exists()


def test_relative_state_dir_is_relative_to_the_config_file(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[blocklists]\nstate_dir = "state"\n'))
    assert config.blocklists.state_dir == tmp_path / "state"


def test_missing_and_malformed_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "absent.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[dns\n"))


def test_portal_keys_for_the_captive_portal(tmp_path: Path) -> None:
    path = tmp_path / "gateway.toml"
    path.write_text(
        '[portal]\nhost_name = "WiFi.Pasuruankota.go.id."\ntls_cert = "certs/wifi.pem"\n'
        'tls_key = "certs/wifi.key"\nreport_contact = "WA 0812-0000-0000"\n'
        "[firewall]\nuplink_mbit = 50\ndownlink_mbit = 100\n"
    )
    config = load_config(path)
    assert config.portal.host_name == "wifi.pasuruankota.go.id"
    assert config.portal.tls_cert == tmp_path / "certs" / "wifi.pem"  # relative to the file
    assert (config.firewall.uplink_mbit, config.firewall.downlink_mbit) == (50, 100)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[portal]\nhost_name = "no spaces.test"', "portal.host_name: expected a host name"),
        ('[portal]\nhost_name = "localhost"', "portal.host_name: expected a host name"),
        ('[portal]\ntls_cert = "a.pem"', "portal.tls_key: tls_cert and tls_key go together"),
        ('[portal]\nvenue_info_url = "ftp://x"', "portal.venue_info_url: expected an http"),
        ("[firewall]\nuplink_mbit = -1", "firewall.uplink_mbit: must be at least 0"),
    ],
)
def test_bad_portal_and_firewall_values_name_their_key(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "gateway.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(path)


def test_the_readme_documents_every_config_key() -> None:
    import dataclasses
    import re

    from gateway.config import GatewayConfig
    from gateway.demo.netns import REPO

    readme = (REPO / "README.md").read_text()
    table = readme[readme.index("## Configuration") : readme.index("## Layout")]
    documented = set(re.findall(r"`([a-z]+\.[a-z_]+)`", table))
    config = GatewayConfig()
    keys = {
        f"{section.name}.{key.name}"
        for section in dataclasses.fields(config)
        for key in dataclasses.fields(getattr(config, section.name))
    }
    assert keys - documented == set()
    assert documented - keys == set()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[admin]\nlisten = "10.77.0.1:8081"\n',
            "admin.listen: 10.77.0.1:8081 is on the hotspot LAN",
        ),
        ('[admin]\ntls_cert = "/etc/c.pem"\n', "admin.tls_key: tls_cert and tls_key go together"),
    ],
)
def test_the_console_stays_off_the_lan_and_its_certificate_needs_its_key(
    tmp_path: Path, text: str, message: str
) -> None:
    from gateway.config import load_config
    from gateway.config_values import ConfigError

    path = tmp_path / "gateway.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(path)
