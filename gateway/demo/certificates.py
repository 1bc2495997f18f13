"""Throwaway self-signed certificates for the demo and the tests, made by openssl."""

from __future__ import annotations

import subprocess
from pathlib import Path


def self_signed_certificate(
    directory: Path, names: list[str], stem: str = "cert"
) -> tuple[Path, Path]:
    """A one-day certificate for `names` (the first is its CN) and its key: (cert, key)."""
    cert, key = directory / f"{stem}.pem", directory / f"{stem}.key"
    san = ",".join(f"DNS:{name}" for name in names)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "1", "-subj", f"/CN={names[0]}", "-addext", f"subjectAltName={san}",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    return cert, key
