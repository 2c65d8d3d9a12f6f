"""The project's user agent against a real Kamailio: digest (401 and 407), calls, limits, tenants."""

import asyncio

import pytest

from sip import control
from sip.checks import Target, channel_limit_held, verify_channel_limit
from sip.choices import InviteChallenge
from sip.ua import Identity, UserAgent, settle

pytestmark = pytest.mark.sip


def idents(target: Target, tenant: str) -> list[Identity]:
    return [Identity.of(target.inventory, a) for a in target.inventory.accounts_of(tenant)]


async def _call_and_hang_up(target: Target, tenant: str) -> tuple[list[int], int, int, int]:
    a_id, b_id = idents(target, tenant)[:2]
    async with await UserAgent.open(target.address) as a, await UserAgent.open(target.address) as b:
        await a.register(a_id)
        await b.register(b_id)
        call = await a.invite(a_id, b_id.username)
        await settle()
        up = control.active_calls(target.fifo)
        bye = await a.hangup(call)
        await settle()
        return call.codes, up, bye, control.active_calls(target.fifo)


def test_call_with_401_challenge_goes_up_and_bye_frees_it(demo_target):
    codes, up, bye, after = asyncio.run(_call_and_hang_up(demo_target, "globex"))
    assert codes[0] == 401 and codes[-1] == 200
    assert (up, bye, after) == (1, 200, 0)


def test_proxy_challenge_407_is_answered(pbx_factory, bench_inventory):
    pbx = pbx_factory(bench_inventory, invite_challenge=InviteChallenge.proxy)
    try:
        codes, up, bye, after = asyncio.run(_call_and_hang_up(Target.of(pbx), "three"))
    finally:
        pbx.stop()
    assert codes[0] == 407 and codes[-1] == 200
    assert (up, bye, after) == (1, 200, 0)


async def _from_ip_domain(target: Target) -> tuple[list[int], list[int], str | None]:
    """A caller that puts the PBX address in its From (as pyVoIP does) still gets its own tenant's limit."""
    o1, o2 = idents(target, "one")
    as_ip = Identity(o1.username, target.host, o1.ha1)
    async with await UserAgent.open(target.address) as a, await UserAgent.open(target.address) as b:
        await a.register(o1)
        await b.register(o2)
        first = await a.invite(as_ip, o2.username, target.host)
        second = await a.invite(as_ip, o2.username, target.host)
        await a.hangup(first)
        return first.codes, second.codes, second.final.get("X-Channel-Limit")


def test_tenant_comes_from_the_authenticated_account_not_the_from_domain(pbx_factory, bench_inventory):
    pbx = pbx_factory(bench_inventory)
    try:
        first, second, header = asyncio.run(_from_ip_domain(Target.of(pbx)))
    finally:
        pbx.stop()
    assert first[-1] == 200
    assert second[-1] == 503 and header == "1"  # tenant "one" (limit 1), though From said 127.0.0.1


async def _borrow(target: Target) -> list[int]:
    """An account of tenant `one` claiming tenant `four`'s domain cannot authenticate there."""
    o1 = idents(target, "one")[0]
    f2 = idents(target, "four")[1]
    async with await UserAgent.open(target.address) as a, await UserAgent.open(target.address) as b:
        await b.register(f2)
        call = await a.invite(Identity(o1.username, "four.test", o1.ha1), f2.username)
        return call.codes


def test_a_caller_cannot_borrow_another_tenants_channels(pbx_factory, bench_inventory):
    pbx = pbx_factory(bench_inventory)
    try:
        codes = asyncio.run(_borrow(Target.of(pbx)))
    finally:
        pbx.stop()
    assert codes == [401, 401]


@pytest.mark.parametrize("limit", [0, 1, 4])
def test_verify_channel_limit_accepts_exactly_the_limit(limit):
    result = verify_channel_limit(limit)
    assert result["attempted"] == limit + 1
    assert (result["accepted"], result["refused"]) == (limit, 1)
    assert result["refusal_codes"] == [503] and result["limit_header"] == str(limit)
    assert result["active_at_peak"] == limit
    assert channel_limit_held(result)


@pytest.mark.parametrize(
    ("accepted", "refused", "held"), [(4, 1, True), (5, 0, False), (3, 2, False), (4, 0, False)]
)
def test_channel_limit_held_only_when_exactly_the_limit_is_accepted(accepted, refused, held):
    result = {"limit": 4, "attempted": 5, "accepted": accepted, "refused": refused}
    assert channel_limit_held(result) is held


async def _flood(target: Target, count: int) -> int:
    async with await UserAgent.open(target.address, timeout=1.0) as ua:
        answered = 0
        for _ in range(count):
            try:
                await ua.options()
                answered += 1
            except Exception:  # noqa: BLE001 - a dropped request times out
                break
        return answered


def test_pike_drops_a_flood_from_one_address(pbx_factory, bench_inventory):
    pbx = pbx_factory(bench_inventory, pike_density=20, pike_unit_s=2)
    try:
        answered = asyncio.run(_flood(Target.of(pbx), 200))
        log = pbx.log_text()
    finally:
        pbx.stop()
    assert answered < 200
    assert "pike: flood from 127.0.0.1" in log


async def _cross_tenant(target: Target) -> tuple[list[int], list[int], str | None, list[int]]:
    """four → one uses a channel of both; a second four → one call finds `one` (limit 1) full."""
    f1 = idents(target, "four")[0]
    o2 = idents(target, "one")[1]
    t1 = idents(target, "three")[0]
    f2 = idents(target, "four")[1]
    async with await UserAgent.open(target.address) as a, await UserAgent.open(target.address) as b:
        for ident in (f1, t1):
            await a.register(ident)
        for ident in (o2, f2):
            await b.register(ident)
        first = await a.invite(f1, o2.username, o2.domain)
        second = await a.invite(f1, o2.username, o2.domain)
        other = await a.invite(t1, f2.username, f2.domain)
        for call in (first, other):
            await a.hangup(call)
        return first.codes, second.codes, second.final.get("X-Channel-Limit"), other.codes


def test_a_call_to_another_tenant_uses_a_channel_of_both(pbx_factory, bench_inventory):
    first, second, header, other = asyncio.run(_cross_tenant(Target.of(pbx_factory(bench_inventory))))
    assert first[-1] == 200
    assert second[-1] == 503 and header == "1"  # the callee's tenant "one" is full, "four" is not
    assert other[-1] == 200


async def _signed_for(target: Target, sign_uri: str) -> list[int]:
    ident = idents(target, "acme")[0]
    async with await UserAgent.open(target.address) as ua:
        return (await ua.register(ident, sign_uri=sign_uri)).codes


def test_digest_uri_must_name_the_request_uri(demo_target):
    """RFC 2617 §3.2.2.5: a REGISTER to sip:acme.demo signed for sip:127.0.0.1:PORT (what SIPp signs
    without -auth_uri) is refused; the same signature over the Request-URI is accepted."""
    pbx_uri = f"sip:{demo_target.host}:{demo_target.port}"
    assert asyncio.run(_signed_for(demo_target, pbx_uri)) == [401, 400]
    assert asyncio.run(_signed_for(demo_target, "sip:ACME.demo")) == [401, 200]  # host: case-insensitive
    assert asyncio.run(_signed_for(demo_target, "sip:alice@acme.demo")) == [401, 400]
    log = (demo_target.run_dir / "kamailio.log").read_text(errors="replace")  # fuzz bytes logged too
    assert f"digest uri {pbx_uri} does not match request uri sip:acme.demo" in log
