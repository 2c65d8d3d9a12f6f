"""Write files and directories so that a crash leaves either nothing or the whole result."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


def write_text(path: str | os.PathLike[str], text: str, mode: int = 0o644) -> None:
    """Write `text` to `path` through a temporary file in the same directory and a rename."""
    write_bytes(path, text.encode("utf-8"), mode)


def write_bytes(path: str | os.PathLike[str], data: bytes, mode: int = 0o644) -> None:
    """Write `data` to `path` atomically (temp file + fsync + rename), with permissions `mode`."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def directory(path: str | os.PathLike[str], mode: int = 0o755) -> Iterator[Path]:
    """Yield a temporary sibling directory that is renamed to `path` only if the block succeeds.

    A crash or an exception leaves no `path` behind (only a hidden `.name.*.tmp` sibling, removed on
    exceptions). `path` must not exist yet.
    """
    target = Path(path)
    if target.exists():
        raise FileExistsError(f"{target}: already exists")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
    try:
        os.chmod(tmp, mode)
        yield tmp
        os.rename(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
