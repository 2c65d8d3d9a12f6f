"""One module per command group; each exposes `register(root_app)`."""

from centrex.commands import (
    bill,
    capacity,
    contract,
    db,
    inventory,
    numbers,
    pbx,
    port,
    report,
    run,
    sip,
    sla,
    sweep,
    usage,
)

COMMAND_MODULES = [
    contract,
    sla,
    run,
    sweep,
    report,
    capacity,
    bill,
    usage,
    numbers,
    port,
    inventory,
    db,
    pbx,
    sip,
]
