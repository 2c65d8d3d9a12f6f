"""Which PBXs run on this machine: one small file per started PBX, naming its run directory.

Inventory commands use it to reload every PBX started from the database they changed (each PBX
records its database in its own `pbx.json`). The registry lives in CENTREX_PBX_REGISTRY, else
$XDG_RUNTIME_DIR/centrex-pbx, else /tmp/centrex-pbx-UID (mode 0700): what it lists dies with a reboot.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path

from contracts import atomic


def directory() -> Path:
    """The registry directory (created 0700)."""
    explicit = os.environ.get("CENTREX_PBX_REGISTRY")
    if explicit:
        path = Path(explicit)
    elif os.environ.get("XDG_RUNTIME_DIR"):
        path = Path(os.environ["XDG_RUNTIME_DIR"]) / "centrex-pbx"
    else:
        path = Path(tempfile.gettempdir()) / f"centrex-pbx-{os.getuid()}"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _entry(run_dir: Path) -> Path:
    return directory() / (hashlib.sha256(str(run_dir.resolve()).encode()).hexdigest()[:20] + ".json")


def remember(run_dir: Path) -> None:
    """List the PBX of `run_dir`."""
    atomic.write_text(_entry(run_dir), json.dumps({"run_dir": str(run_dir.resolve())}), mode=0o600)


def forget(run_dir: Path) -> None:
    """Unlist the PBX of `run_dir`."""
    with contextlib.suppress(FileNotFoundError):
        _entry(run_dir).unlink()


def run_dirs() -> list[Path]:
    """Every listed run directory (the caller checks which still run)."""
    out = []
    for entry in sorted(directory().glob("*.json")):
        with contextlib.suppress(OSError, ValueError, KeyError):
            out.append(Path(json.loads(entry.read_text())["run_dir"]))
    return out
