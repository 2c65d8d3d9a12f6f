"""Errors every package raises, so the command line can print one clear line and exit 2."""

from __future__ import annotations


class CentrexError(Exception):
    """A problem the user can fix (bad input, bad state); printed as one line, exit code 2."""

    exit_code = 2


class InputError(CentrexError):
    """Bad input, located as precisely as known: file, line, field, reason."""

    def __init__(
        self,
        reason: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.reason = reason
        self.file = file
        self.line = line
        self.field = field
        super().__init__(self.describe())

    def describe(self) -> str:
        """Return `file:line: field: reason`, leaving out what is unknown."""
        where = ""
        if self.file is not None:
            where = str(self.file)
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        field = f"{self.field}: " if self.field else ""
        text = f"{where}{field}{self.reason}"
        # one line whatever the input held (a key "\n" in a YAML file, a control byte in a cell)
        return text if text.isprintable() else "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class StateError(CentrexError):
    """An operation refused by the current state (a bad transition, an exhausted range…)."""
