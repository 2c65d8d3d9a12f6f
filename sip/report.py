"""Check results and their renderings: JSON object and JUnit XML for CI dashboards."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from xml.etree import ElementTree as ET


@dataclass
class CheckResult:
    """One check: its name, whether it passed, and the evidence (SIP codes seen)."""

    name: str
    passed: bool
    evidence: str
    seconds: float = 0.0
    group: str = field(default="")


@dataclass
class Report:
    """Every check of one `sip check` run."""

    checks: list[CheckResult]

    @property
    def passed(self) -> bool:
        """True when there was at least one check and every check passed."""
        return bool(self.checks) and all(c.passed for c in self.checks)

    def to_dict(self) -> dict[str, object]:
        """The JSON shape: {passed, checks: [{name, passed, evidence}]}."""
        return {
            "passed": self.passed,
            "checks": [{"name": c.name, "passed": c.passed, "evidence": c.evidence} for c in self.checks],
        }

    def to_json(self) -> str:
        """Render as indented JSON."""
        return json.dumps(self.to_dict(), indent=1)

    def rows(self) -> list[dict[str, object]]:
        """Rows for a table: result, name, evidence."""
        return [
            {
                "result": "PASS" if c.passed else "FAIL",
                **{k: v for k, v in asdict(c).items() if k in ("name", "evidence")},
            }
            for c in self.checks
        ]

    def to_junit(self, suite: str = "centrex.sip.check") -> str:
        """Render as JUnit XML: one testsuite, one testcase per check, failures carry the evidence."""
        failures = sum(not c.passed for c in self.checks)
        root = ET.Element("testsuites", name=suite, tests=str(len(self.checks)), failures=str(failures))
        ts = ET.SubElement(
            root,
            "testsuite",
            name=suite,
            tests=str(len(self.checks)),
            failures=str(failures),
            errors="0",
            skipped="0",
            time=f"{sum(c.seconds for c in self.checks):.3f}",
        )
        for c in self.checks:
            tc = ET.SubElement(
                ts,
                "testcase",
                classname=f"{suite}.{c.group or c.name.split(':')[0]}",
                name=c.name,
                time=f"{c.seconds:.3f}",
            )
            if not c.passed:
                ET.SubElement(
                    tc, "failure", message=c.evidence[:200], type="SipCheckFailure"
                ).text = c.evidence
            ET.SubElement(tc, "system-out").text = c.evidence
        ET.indent(root)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
