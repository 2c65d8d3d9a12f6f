"""`sip load` against a real Kamailio: registrations and concurrent calls across tenants."""

import pytest

from contracts.errors import InputError
from sip.checks import Target
from sip.load import plan_calls, run_load

pytestmark = pytest.mark.sip


@pytest.fixture(scope="module")
def target(pbx_factory, bench_inventory):
    pbx = pbx_factory(bench_inventory)
    yield Target.of(pbx)
    pbx.stop()


def test_calls_fill_every_tenant_then_overflow(target):
    plan = plan_calls(target, 10)
    assert sorted(plan.count(t) for t in ("one", "three", "four")) == [2, 4, 4]


def test_load_within_limits_refuses_nothing_and_beyond_refuses_exactly_the_excess(target):
    result = run_load(target, registrations=300, rate=0, calls=8 + 3)
    assert result["registrations_ok"] == 300 and result["registrations_failed"] == 0
    assert result["calls_accepted"] == 8 and result["calls_held"] == 8
    assert result["refused_at_limit"] == 3
    assert result["wrongly_refused"] == 0 and result["over_admitted"] == 0 and result["failed"] == 0
    assert result["bye_ok"] == 8


def test_bad_load_input(target):
    with pytest.raises(InputError, match="unknown tenant"):
        run_load(target, 1, 0, 1, tenant="ghost")
    with pytest.raises(InputError, match="≥ 0"):
        run_load(target, -1, 0, 0)


def test_offered_rate_and_one_tenant(target):
    result = run_load(target, registrations=40, rate=400, calls=2, tenant="three")
    assert result["registrations_ok"] == 40 and result["register_codes"] == {"200": 40}
    assert list(result["tenants"]) == ["three"] and result["calls_accepted"] == 2
    assert plan_calls(target, 5, "one") == ["one"] * 5
