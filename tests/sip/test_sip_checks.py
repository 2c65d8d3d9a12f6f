"""`sip check` against a real Kamailio: every check passes on the demo PBX; report formats."""

import json
from xml.etree import ElementTree as ET

import pytest

from contracts.errors import InputError
from sip.checks import Target, run_checks, sample_accounts
from sip.inventory import build_inventory
from sip.report import CheckResult, Report

pytestmark = pytest.mark.sip


@pytest.fixture(scope="module")
def report(demo_target) -> Report:
    return run_checks(demo_target)


def test_every_check_passes_on_the_demo_pbx(report):
    failed = [(c.name, c.evidence) for c in report.checks if not c.passed]
    assert failed == [] and report.passed


def test_the_expected_checks_ran(report):
    names = {c.name for c in report.checks}
    assert {
        "channel_limit:acme",
        "channel_limit:globex",
        "security:enumeration",
        "security:malformed_packets",
        "security:unauthenticated_invite",
        "security:open_relay",
        "pyvoip:register_and_call",
    } <= names
    assert sum(n.startswith("registration:") for n in names) == 7


def test_evidence_quotes_the_sip_codes(report):
    by = {c.name: c.evidence for c in report.checks}
    assert by["registration:alice@acme.demo"] == (
        "register 401→200 (binding listed); wrong password 401→401; unregister 401→200 (binding removed)"
    )
    assert "503" in by["channel_limit:acme"] and "X-Channel-Limit: 2" in by["channel_limit:acme"]
    assert "found nothing" in by["security:enumeration"]
    assert by["security:open_relay"].endswith("forged in-dialog BYE via the PBX → 403")


def test_json_shape(report):
    data = json.loads(report.to_json())
    assert data["passed"] is True
    assert set(data["checks"][0]) == {"name", "passed", "evidence"}


def test_junit_has_one_testcase_per_check_and_failures():
    rep = Report([CheckResult("a", True, "200"), CheckResult("b", False, "got 500 <x>")])
    root = ET.fromstring(rep.to_junit())
    suite = root.find("testsuite")
    assert suite is not None and suite.get("tests") == "2" and suite.get("failures") == "1"
    failing = [tc for tc in suite.iter("testcase") if tc.find("failure") is not None]
    assert [tc.get("name") for tc in failing] == ["b"] and failing[0].find("failure").text == "got 500 <x>"
    assert not Report([]).passed


def test_sample_and_tenant_selection(demo_target):
    assert [i.username for i in sample_accounts(demo_target.inventory, None, "acme")] == [
        "alice",
        "bob",
        "carol",
    ]
    assert len(sample_accounts(demo_target.inventory, 3)) == 3
    assert sample_accounts(demo_target.inventory, 3) == sample_accounts(demo_target.inventory, 3)
    with pytest.raises(InputError, match="unknown tenant"):
        sample_accounts(demo_target.inventory, None, "nope")
    with pytest.raises(InputError, match="--sample"):
        sample_accounts(demo_target.inventory, 0)


def test_pyvoip_phone_calls_a_username_shared_by_two_tenants(pbx_factory):
    # "100" exists in both tenants: pyVoIP dials it at the PBX address; the PBX resolves it in the caller's
    # tenant, and pyVoIP's Route-less BYE still reaches the callee and ends the dialog.
    inventory = build_inventory({"a": (2, ["100", "101"]), "b": (1, ["100", "200"])})
    report = run_checks(Target.of(pbx_factory(inventory)), groups=("pyvoip",))
    assert [c.name for c in report.checks] == ["pyvoip:register_and_call"]
    assert report.passed, report.checks[0].evidence
    assert "101@a" in report.checks[0].evidence and "call to 100 ANSWERED" in report.checks[0].evidence


def test_a_pbx_that_died_is_named_as_such(pbx_factory):
    import asyncio

    from sip.checks import check_still_answering

    pbx = pbx_factory(build_inventory({"x": (1, ["x1"])}))
    target = Target.of(pbx)
    assert asyncio.run(check_still_answering(target)) == (True, "OPTIONS → 200")
    pbx.stop()
    passed, evidence = asyncio.run(check_still_answering(target))
    assert not passed and "the PBX stopped answering" in evidence
