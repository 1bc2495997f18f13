"""The staff CLI: output lines, JSON, exit codes, and the audit trail it leaves."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.cli import cli_logic
from tests.conftest import REPO, shared_list

LISTS = {
    "judi": ("judi-indonesia-sample.txt", "gambling", "block"),
    "light": ("hagezi-light-multi.rpz", "malware", "block"),
    "drugs": ("blocklistproject-drugs.adblock", "malware", "block"),
    "fp": ("trustpositif-community-allowlist.txt", None, "allow"),
}


@pytest.fixture
def config(tmp_path: Path) -> Path:
    parts = [f'[blocklists]\nstate_dir = "{tmp_path / "state"}"\n']
    for name, (file, category, action) in LISTS.items():
        parts.append(
            f'[[blocklists.sources]]\nname = "{name}"\nurl = "file://{shared_list(file)}"\n'
            f'action = "{action}"\n' + (f'category = "{category}"\n' if category else "")
        )
    path = tmp_path / "gateway.toml"
    path.write_text("".join(parts))
    return path


@pytest.fixture
def updated(config: Path) -> Path:
    assert cli_logic(["blocklist", "update", "--config", str(config), "--quiet"]) == 0
    return config


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli_logic(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def updated_single_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, category: str, text: str
) -> Path:
    """A config with one list file holding `text`, updated; returns the config's path."""
    listing = tmp_path / f"{name}.txt"
    listing.write_text(text)
    cfg = tmp_path / "gateway.toml"
    cfg.write_text(
        f'[blocklists]\nstate_dir = "{tmp_path / "s"}"\n[[blocklists.sources]]\n'
        f'name = "{name}"\nurl = "file://{listing}"\ncategory = "{category}"\n'
    )
    assert run(capsys, "blocklist", "update", "--config", str(cfg), "--quiet")[0] == 0
    return cfg


def test_check_prints_one_line_per_verdict(
    updated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = ["--config", str(updated)]
    assert run(capsys, "blocklist", "check", "WWW.ww1653.Bocoranbom.site.", *cfg) == (
        0,
        "blocked www.ww1653.bocoranbom.site category=gambling source=judi "
        "rule=ww1653.bocoranbom.site\n",
        "",
    )
    out = run(capsys, "blocklist", "check", "x.smetrics.abbott", *cfg)[1]
    rpz_rule = "rule='smetrics.abbott CNAME .'"
    assert out == f"blocked x.smetrics.abbott category=malware source=light {rpz_rule}\n"
    assert (
        run(capsys, "blocklist", "check", "sekolah.example", *cfg)[1] == "allowed sekolah.example\n"
    )
    out = run(capsys, "blocklist", "check", "captive.apple.com", *cfg)[1]
    assert out.startswith("allowed captive.apple.com by=never-block ")


def test_check_accepts_a_pasted_url_and_prints_json(
    updated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "blocklist", "check", "https://001kanpou.com/x?y=1", "--json",
                       "--config", str(updated))  # fmt: skip
    data = json.loads(out)
    assert code == 0
    assert data["verdict"] == "blocked" and data["name"] == "001kanpou.com/x?y=1"
    assert data["listed"] == "001kanpou.com"  # the page is blocked by its host
    assert (data["source"], data["category"], data["rule"]) == (
        "drugs",
        "malware",
        "||001kanpou.com^",
    )
    assert data["tier"] == "list-block" and data["line"] > 10


def test_check_answers_for_addresses_and_pages_with_their_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "# TrustPositif\njudi.test\n203.0.113.0/24\nberita.test/slot-gacor\n"
    cfg = updated_single_source(tmp_path, capsys, "tp", "gambling", text)

    def check(what: str) -> dict[str, object]:
        code, out, err = run(capsys, "blocklist", "check", what, "--json", "--config", str(cfg))
        assert code == 0, err
        return dict(json.loads(out))

    address = check("203.0.113.77")
    assert (address["verdict"], address["rule"], address["line"]) == (
        "blocked", "203.0.113.0/24", 3
    )  # fmt: skip
    assert check("http://203.0.113.9/x")["verdict"] == "blocked"
    assert check("203.0.114.1")["verdict"] == "allowed"
    page = check("https://www.berita.test/slot-gacor/hari-ini")
    assert (page["verdict"], page["name"], page["line"]) == (
        "blocked", "www.berita.test/slot-gacor/hari-ini", 4
    )  # fmt: skip
    assert check("berita.test/olahraga")["verdict"] == "allowed"
    assert check("berita.test")["verdict"] == "allowed"


def test_staff_edits_apply_at_once_and_are_audited(
    updated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = ["--config", str(updated), "--user", "ani"]
    code, out, _ = run(capsys, "blocklist", "add", "slot-gacor.test", "--category", "gambling",
                       "--reason", "laporan <warga>", *cfg)  # fmt: skip
    assert (code, out) == (
        0,
        "blocked slot-gacor.test category=gambling source=staff rule=slot-gacor.test\n",
    )
    assert run(capsys, "blocklist", "check", "m.slot-gacor.test", *cfg)[1].startswith("blocked ")
    code, out, _ = run(
        capsys, "blocklist", "allow", "ww1653.bocoranbom.site", "--reason", "fp", *cfg
    )
    assert out.startswith("allowed ww1653.bocoranbom.site by=staff-allow ")
    assert run(capsys, "blocklist", "remove", "slot-gacor.test", *cfg)[0] == 0
    assert (
        run(capsys, "blocklist", "check", "slot-gacor.test", *cfg)[1] == "allowed slot-gacor.test\n"
    )
    code, out, _ = run(capsys, "blocklist", "audit", *cfg)
    lines = out.splitlines()
    assert [line.split()[2] for line in lines] == ["update", "add", "allow", "remove"]
    assert lines[1].split()[1] == "ani" and "reason='laporan <warga>'" in lines[1]
    code, out, _ = run(capsys, "blocklist", "audit", "--json", "--limit", "1", *cfg)
    assert json.loads(out)["action"] == "remove"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["check", "a..b"], "not a valid domain name 'a..b': empty label"),
        (["add", "x.test", "--category", "sports", "--reason", "r"], "--category must be one of"),
        (["add", "x.test", "--category", "porn", "--reason", "  "], "--reason must say why"),
        (["add", "captive.apple.com", "--category", "porn", "--reason", "r"], "must-never-block"),
        (["remove", "never-added.test"], "no staff entry for never-added.test"),
        (["add", "x.test", "--category", "porn"], "the following arguments are required: --reason"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["audit", "--limit", "-1"], "--limit must be 0"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    config: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, "blocklist", *argv, "--config", str(config))
    assert code == 2
    assert message in err
    assert err.count("\n") == 1 and out == ""


def test_bad_config_exits_2_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[blocklists]\nkeep_snapshots = 0\n")
    code, _, err = run(capsys, "blocklist", "stats", "--config", str(bad))
    assert code == 2 and "blocklists.keep_snapshots: must be at least 1" in err
    code, _, err = run(capsys, "blocklist", "stats", "--config", str(tmp_path / "none.toml"))
    assert code == 2 and "config file not found" in err


def test_rollback_without_an_older_snapshot_fails_with_1(
    updated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "blocklist", "rollback", "--config", str(updated))
    assert code == 1 and "no older snapshot" in err


def test_update_with_every_source_failing_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "gateway.toml"
    cfg.write_text(f'[blocklists]\nstate_dir = "{tmp_path / "s"}"\nfetch_retries = 0\n'
                   f'[[blocklists.sources]]\nname = "gone"\nurl = "file://{tmp_path}/absent"\n'
                   'category = "porn"\n')  # fmt: skip
    code, _, err = run(capsys, "blocklist", "update", "--config", str(cfg), "--quiet")
    assert code == 1 and "gone: failed" in err


def test_stats_shows_sources_rejects_and_ages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "good.test\nbad..name\n1.2.3.999\nalso-good.test\n9.9.9.0/24\n"
    cfg = updated_single_source(tmp_path, capsys, "mixed", "phishing", text)
    code, out, _ = run(capsys, "blocklist", "stats", "--config", str(cfg))
    assert code == 0
    assert "mixed" in out and " phishing " in out
    assert "rejected 1 empty label: line 2: bad..name" in out
    assert "rejected 1 ip address, not a name: line 3: 1.2.3.999" in out
    assert ": 2 names, 1 addresses, 0 pages," in out
    data = json.loads(run(capsys, "blocklist", "stats", "--json", "--config", str(cfg))[1])
    assert data["sources"][0]["entries"] == 3 and data["snapshot"]["names"] == 2
    assert data["snapshot"]["addresses"] == 1


def test_update_reports_progress_source_by_source(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "blocklist", "update", "--config", str(config))
    assert code == 0
    assert "fetching judi (file://" in err and "  judi: downloaded" in err
    assert "building the name index" in err
    assert out.startswith("snapshot ") and " published: " in out
    code, out, err = run(capsys, "blocklist", "update", "--config", str(config))
    assert "  judi: not modified" in err and " unchanged: " in out


def test_module_and_console_script_run_the_same_cli() -> None:
    for command in (
        [sys.executable, "-m", "gateway"],
        [str(Path(sys.executable).parent / "hotspot-gateway")],
    ):
        done = subprocess.run([*command, "blocklist", "--help"], capture_output=True, text=True,
                              cwd=REPO, timeout=60, check=False)  # fmt: skip
        assert done.returncode == 0 and "rollback" in done.stdout
        bad = subprocess.run([*command, "nonsense"], capture_output=True, text=True, cwd=REPO,
                             timeout=60, check=False)  # fmt: skip
        assert bad.returncode == 2 and bad.stderr.count("\n") == 1


def test_publish_keygen_writes_a_pair_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = tmp_path / "keys"
    code, out, _ = run(capsys, "blocklist", "publish-keygen", "--out", str(keys))
    public = (keys / "publisher.pub").read_text().strip()
    assert code == 0 and f'publisher_key = "{public}"' in out
    assert (keys / "publisher.key").stat().st_mode & 0o777 == 0o600
    code, out, err = run(capsys, "blocklist", "publish-keygen", "--out", str(keys))
    assert (code, out) == (2, "") and err.count("\n") == 1 and "publisher.key exists" in err


def test_publish_and_update_from_the_publisher_over_https(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.filters.bundles.https_publisher import serve_publisher

    central = updated_single_source(tmp_path, capsys, "judi", "gambling", "slot.judi.test\n")
    keys, out_dir = tmp_path / "keys", tmp_path / "out"
    assert run(capsys, "blocklist", "publish-keygen", "--out", str(keys))[0] == 0
    publish = ["blocklist", "publish", "--config", str(central), "--out", str(out_dir), "--quiet"]
    code, out, err = run(capsys, *publish, "--key", str(keys / "publisher.pub"))
    assert code == 2 and err.count("\n") == 1 and "--key: " in err
    code, out, _ = run(capsys, *publish, "--key", str(keys / "publisher.key"))
    assert code == 0 and out.startswith("bundle 1 published: 1 names, full ")
    with serve_publisher(out_dir, tmp_path) as server:
        gateway = tmp_path / "gateway.toml"
        gateway.write_text(
            f'[blocklists]\nstate_dir = "{tmp_path / "g"}"\nfetch_retries = 0\n'
            f'publisher_url = "{server.url}"\npublisher_key = "keys/publisher.pub"\n'
            f'publisher_ca = "{server.ca}"\n'
        )
        code, out, err = run(capsys, "blocklist", "update", "--config", str(gateway), "--quiet")
        assert code == 0, err
        assert out.startswith("bundle 1 installed (full, ")
        check = run(capsys, "blocklist", "check", "a.slot.judi.test", "--config", str(gateway))
        assert check[1].startswith("blocked a.slot.judi.test category=gambling source=judi")
        index = out_dir / "index.json"
        index.write_text(index.read_text().replace('"version\\":1', '"version\\":2'))
        code, out, err = run(capsys, "blocklist", "update", "--config", str(gateway), "--quiet")
        assert code == 1 and err.count("\n") == 1
        assert "bundle refused, the list in force stays: index.json: its signature" in err
        audit = run(capsys, "blocklist", "audit", "--config", str(gateway))[1]
        assert " bundle-refused index.json: its signature does not verify" in audit


@pytest.mark.parametrize(
    ("lines", "named"),
    [
        ('publisher_url = "http://lists.example/fleet/"', "blocklists.publisher_url: expected"),
        ('publisher_url = "https://lists.example/fleet/"', "blocklists.publisher_key: the"),
        ('publisher_key = "bm90IGEga2V5"', "blocklists.publisher_key: neither base64"),
    ],
)
def test_bad_publisher_settings_exit_2_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], lines: str, named: str
) -> None:
    cfg = tmp_path / "gateway.toml"
    cfg.write_text(f'[blocklists]\nstate_dir = "{tmp_path}"\n{lines}\n')
    code, out, err = run(capsys, "blocklist", "update", "--config", str(cfg))
    assert (code, out) == (2, "") and err.count("\n") == 1 and named in err
