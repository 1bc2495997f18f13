"""Download a list source: conditional GET, a timeout, a size cap and retries.

A download lands in a temporary file; only the update decides (after the guards) whether it
replaces the last good copy, so a failed or cut-off download never costs the list we had.
"""

from __future__ import annotations

import shutil
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from typing import Any

from filters.progress import Progress

USER_AGENT = "hotspot-gateway/0.1 (blocklist update)"
CHUNK = 1 << 16


class FetchError(Exception):
    """A source could not be downloaded; the message says why."""

    def __init__(self, message: str, transient: bool = True) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class FetchLimits:
    """How long and how much one download may take."""

    timeout: float = 120.0
    retries: int = 3
    max_bytes: int = 1 << 30
    backoff: float = 1.0


@dataclass(frozen=True)
class FetchResult:
    """A new copy in `path`, or `not_modified` when the publisher says ours is current."""

    not_modified: bool
    path: Path | None = None
    etag: str | None = None
    last_modified: str | None = None
    size: int = 0


def fetch_source(
    url: str,
    dest: Path,
    cached: dict[str, Any],
    limits: FetchLimits,
    progress: Progress,
    tls: ssl.SSLContext | None = None,
) -> FetchResult:
    """Fetch `url` into `dest`, retrying transient failures; `cached` holds the validators.

    `tls` verifies https against other CAs than the system's (a publisher's own, see bundles).
    """
    last_error: FetchError | None = None
    for attempt in range(limits.retries + 1):
        if attempt:
            time.sleep(limits.backoff * 2 ** (attempt - 1))
        try:
            return _fetch_once(url, dest, cached, limits, progress, tls)
        except FetchError as exc:
            last_error = exc
            dest.unlink(missing_ok=True)
            if not exc.transient:
                break
            progress.say(f"  retrying after: {exc}")
    assert last_error is not None
    raise last_error


def _fetch_once(
    url: str,
    dest: Path,
    cached: dict[str, Any],
    limits: FetchLimits,
    progress: Progress,
    tls: ssl.SSLContext | None,
) -> FetchResult:
    if url.startswith("file://"):
        return _copy_file(urllib.parse.urlparse(url).path, dest, cached, limits)
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if cached.get("etag"):
        headers["If-None-Match"] = cached["etag"]
    if cached.get("last_modified"):
        headers["If-Modified-Since"] = cached["last_modified"]
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=limits.timeout, context=tls) as response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > limits.max_bytes:
                raise FetchError(
                    f"{url}: {length} bytes is over the cap of {limits.max_bytes}", False
                )
            size = _stream(response, dest, url, limits, progress, int(length or 0) or None)
            return FetchResult(
                not_modified=False,
                path=dest,
                etag=response.headers.get("ETag"),
                last_modified=response.headers.get("Last-Modified"),
                size=size,
            )
    except urllib.error.HTTPError as exc:
        exc.close()  # it holds the connection open otherwise
        if exc.code == 304:
            return FetchResult(not_modified=True)
        transient = exc.code >= 500 or exc.code in (408, 429)
        raise FetchError(f"{url}: HTTP {exc.code} {exc.reason}", transient) from exc
    except urllib.error.URLError as exc:
        raise FetchError(f"{url}: {exc.reason}") from exc
    except (TimeoutError, ConnectionError, OSError) as exc:
        raise FetchError(f"{url}: {exc}") from exc


def _stream(
    response: Any, dest: Path, url: str, limits: FetchLimits, progress: Progress, total: int | None
) -> int:
    size = 0
    bar = progress.counter(f"download {Path(url).name}", total=total, unit="B")
    try:
        with dest.open("wb") as out:
            while chunk := response.read(CHUNK):
                size += len(chunk)
                if size > limits.max_bytes:
                    raise FetchError(
                        f"{url}: larger than the cap of {limits.max_bytes} bytes", False
                    )
                out.write(chunk)
                bar.update(len(chunk))
    finally:
        bar.close()
    if total is not None and size != total:
        raise FetchError(f"{url}: download cut off at {size} of {total} bytes")
    return size


def _copy_file(path: str, dest: Path, cached: dict[str, Any], limits: FetchLimits) -> FetchResult:
    """A local source; its mtime plays the part of Last-Modified."""
    source = Path(urllib.parse.unquote(path))
    try:
        stat = source.stat()
    except OSError as exc:
        raise FetchError(f"file://{source}: {exc.strerror}", False) from None
    stamp = formatdate(stat.st_mtime, usegmt=True) + f" {stat.st_size}"
    if cached.get("last_modified") == stamp:
        return FetchResult(not_modified=True)
    if stat.st_size > limits.max_bytes:
        raise FetchError(f"file://{source}: {stat.st_size} bytes is over the cap", False)
    shutil.copyfile(source, dest)
    return FetchResult(not_modified=False, path=dest, last_modified=stamp, size=stat.st_size)
