"""`centrex contract show`: a contract profile's rules and the choices in force."""

from __future__ import annotations

import typer

from centrex import options
from centrex.output import Format, emit

app = typer.Typer(
    help="Contract profiles: rules with their clauses, and the named choices.\n\n"
    "Example: centrex contract show alleo --set tier_at_99_2=8",
    no_args_is_help=True,
)


@app.command("show")
def show(
    name: str = typer.Argument(..., help="alleo, allset, progetcom, allocloud, or a path to a profile YAML."),
    sets: list[str] = options.SET,
    fmt: Format = options.FORMAT,
) -> None:
    """Print the rules of a contract (each with its clause) and its choices with the values in force.

    Example: centrex contract show alleo --set tier_at_99_2=8
    """
    from contracts.profile import describe, load_profile

    data = describe(load_profile(name, sets))
    if fmt is Format.json:
        emit(data, fmt)
        return
    rows = [
        {"kind": "rule", "key": r["clause"], "value": r["text"], "clause": r["clause"]} for r in data["rules"]
    ]
    rows += [
        {"kind": "cause", "key": c, "value": "counts" if v["counts"] else "excluded", "clause": v["clause"]}
        for c, v in data["causes"].items()
    ]
    rows += [
        {
            "kind": "choice",
            "key": k,
            "value": f"{v['value']} (default {v['default']}; allowed {v['allowed']})",
            "clause": v["clause"],
        }
        for k, v in data["choices"].items()
    ]
    rows += [
        {
            "kind": "fee",
            "key": k,
            "value": f"{v['value']} €"
            + (" (placeholder: the seed says « tarifs standards »)" if v["placeholder"] else ""),
            "clause": v["clause"],
        }
        for k, v in data["fees"].items()
    ]
    emit(
        rows,
        fmt,
        columns=["kind", "key", "value", "clause"],
        provenance=data["provenance"],
        title=data["title"],
    )


def register(root: typer.Typer) -> None:
    """Add the `contract` commands to the root app."""
    root.add_typer(app, name="contract")
