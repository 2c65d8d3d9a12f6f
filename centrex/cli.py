"""The `centrex` command: a root typer app, one module per command group under `centrex/commands/`."""

from __future__ import annotations

import sys
import traceback

import typer

from centrex.commands import COMMAND_MODULES
from centrex.output import settings, stderr
from contracts.errors import CentrexError

app = typer.Typer(
    name="centrex",
    help="Workbench for a hosted-telephony (Centrex) provider: simulate a fleet, check SLA math, "
    "provision numbers, test SIP against a local PBX, size channel capacity.\n\n"
    "Example: centrex run scenarios/demo.yaml --replications 5",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


@app.callback()
def root(
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or status lines."),
    debug: bool = typer.Option(False, "--debug", help="Show the traceback of an error."),
) -> None:
    """centrex-lab: every command has --help with an example."""
    settings.quiet = quiet
    settings.debug = debug


for _module in COMMAND_MODULES:
    _module.register(app)


def main() -> None:
    """Run the CLI: user errors as one line on stderr with exit code 2, no traceback unless --debug."""
    try:
        app()
    except CentrexError as exc:
        if settings.debug:
            traceback.print_exc()
        stderr.print(f"error: {exc}", markup=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        stderr.print("interrupted", markup=False)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - last-resort message instead of a traceback
        if settings.debug:
            traceback.print_exc()
        stderr.print(
            f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)",
            markup=False,
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
