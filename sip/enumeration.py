"""Extension enumeration with sipvicious's svwar: the PBX must let it find no extension."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from contracts.errors import StateError
from sip.pbx import free_udp_port

_FOUND_ROW = re.compile(r"^\|\s*(\S+)\s*\|\s*(reqauth|noauth|weird)", re.MULTILINE | re.IGNORECASE)


@dataclass(frozen=True)
class ScanResult:
    """What one svwar scan reported."""

    method: str
    found: tuple[str, ...]
    found_nothing: bool
    output: str


def svwar_binary() -> str:
    """Return sipvicious_svwar (installed with the sipvicious Python package beside this interpreter)."""
    here = Path(sys.executable).parent / "sipvicious_svwar"
    path = str(here) if here.exists() else shutil.which("sipvicious_svwar")
    if path is None:
        raise StateError("sipvicious_svwar not found; install it with: pip install 'sipvicious>=0.3.8'")
    return path


def scan(
    host: str, port: int, usernames: list[str], method: str = "REGISTER", timeout: float = 120.0
) -> ScanResult:
    """Run svwar with a dictionary (real usernames + decoys) and --force; parse what it found.

    svwar exits 0 whether or not it finds anything (SIP-NOTES): the output is what counts.
    """
    words = sorted(set(usernames) | {"100", "101", "200", "1000", "admin", "test", "operator"})
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
        fh.write("\n".join(words) + "\n")
        dictionary = fh.name
    try:
        # -P: a free source port, not 5060 (SIP-NOTES)
        cmd = [
            svwar_binary(),
            "-d",
            dictionary,
            "-m",
            method,
            "--force",
            "-P",
            str(free_udp_port(host)),
            "-p",
            str(port),
            host,
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    finally:
        Path(dictionary).unlink(missing_ok=True)
    output = proc.stdout + proc.stderr
    found = tuple(m.group(1) for m in _FOUND_ROW.finditer(proc.stdout) if m.group(1).lower() != "extension")
    return ScanResult(method, found, "found nothing" in output and not found, output)
