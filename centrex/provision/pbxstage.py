"""`centrex run --sip`: Kamailio started from the run's inventory, every account and tenant checked.

Registration of every account (the right digest accepted, a wrong one refused), every tenant's channel
limit (N calls up, the N+1st refused 503, the freed channel reusable), the security checks; the PBX is
stopped afterwards. Results: sip.json and sip-junit.xml in the run directory.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

SIP_FILE = "sip.json"
JUNIT_FILE = "sip-junit.xml"
GROUPS = ("registration", "channels", "security")


def require_kamailio() -> None:
    """StateError with the one apt-get line when Kamailio is missing (before anything is simulated)."""
    from sip.pbx import kamailio_binary

    kamailio_binary()


def check_fleet(url: str, out: Path, on_result=None) -> dict[str, Any]:
    """Start a PBX from the inventory at `url`, run every check, stop it; write the two result files."""
    from sip.checks import Target, run_checks
    from sip.inventory import load_inventory
    from sip.pbx import PbxSettings, start_pbx

    inventory = load_inventory(url)
    with (
        tempfile.TemporaryDirectory(prefix="centrex-run-pbx-") as tmp,
        start_pbx(inventory, Path(tmp) / "pbx", PbxSettings(port=0)) as pbx,
    ):
        report = run_checks(Target.of(pbx), groups=GROUPS, on_result=on_result)
    figures = sip_figures(report, inventory)
    (out / SIP_FILE).write_text(
        json.dumps({**figures, **report.to_dict()}, indent=1) + "\n", encoding="utf-8"
    )
    (out / JUNIT_FILE).write_text(report.to_junit("centrex.run.sip"), encoding="utf-8")
    return figures


def sip_figures(report, inventory) -> dict[str, Any]:
    """Accounts registered and refused; each tenant's limit held or broken (the report's SIP section)."""
    reg = [c for c in report.checks if c.group == "registration"]
    tenants = []
    for c in report.checks:
        if c.group == "channel_limit":
            name = c.name.split(":", 1)[1]
            tenants.append(
                {
                    "tenant": name,
                    "channel_limit": inventory.tenant(name).channel_limit,
                    "accounts": len(inventory.accounts_of(name)),
                    "limit": "held" if c.passed else "broken",
                    "evidence": c.evidence,
                }
            )
    security = [{"check": c.name, "passed": c.passed} for c in report.checks if c.group == "security"]
    return {
        "accounts": len(inventory.accounts),
        "registered": sum(c.passed for c in reg),
        "refused": sum(not c.passed for c in reg),
        "tenants": tenants,
        "security": security,
    }
