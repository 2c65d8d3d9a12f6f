"""Fair-use audit (001 §7, 002 §7): flags, destination classes, amounts, streamed parsing, bad rows."""

from decimal import Decimal
from pathlib import Path

import numpy as np
import phonenumbers
import pytest
from phonenumbers import PhoneNumberType as T

from bench.cdrs import audit_naive, synthetic_cdrs
from contracts import usage
from contracts.destinations import table_for
from contracts.errors import InputError
from contracts.profile import load_profile

HEADER = "caller_user,callee,start,duration_s,device_kind\n"


def write(path: Path, rows: list[str], header: str = HEADER) -> Path:
    path.write_text(header + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def e164(region: str, kind) -> str:
    return phonenumbers.format_number(
        phonenumbers.example_number_for_type(region, kind), phonenumbers.PhoneNumberFormat.E164
    )


def by_user(result):
    return {(r["user"], r["month"]): r for r in result.rows}


# ----- destinations ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["allset", "progetcom"])
def test_every_listed_country_fixed_line_is_included(name):
    rules = usage.fair_use_rules(load_profile(name))
    table = table_for(rules.international)
    for d in rules.international:
        digits = int(e164(d.region, T.FIXED_LINE)[1:])  # Italy keeps its leading 0: +39 06…
        assert table.included(np.array([digits]), np.array([len(str(digits))]))[0], d.name


def test_included_lists_follow_each_contract(tmp_path):
    rows = [
        f"a,{e164('GB', T.FIXED_LINE)},2026-03-02T10:00:00,60,handset",
        f"a,{e164('GB', T.MOBILE)},2026-03-02T10:00:00,60,handset",
        f"a,{e164('CN', T.MOBILE)},2026-03-02T10:00:00,60,handset",
        f"a,{e164('IT', T.FIXED_LINE)},2026-03-02T10:00:00,60,handset",
        f"a,{e164('MA', T.FIXED_LINE)},2026-03-02T10:00:00,60,handset",
        "a,0145678912,2026-03-02T10:00:00,60,handset",
        "a,+33612345678,2026-03-02T10:00:00,60,handset",
        "a,0033987654321,2026-03-02T10:00:00,60,handset",
        "a,0892680000,2026-03-02T10:00:00,60,handset",
        "a,3631,2026-03-02T10:00:00,60,handset",
    ]
    f = write(tmp_path / "c.csv", rows)
    allset = by_user(usage.audit(load_profile("allset"), f, every_month=True))[("a", "2026-03")]
    prog = by_user(usage.audit(load_profile("progetcom"), f, every_month=True))[("a", "2026-03")]
    # ALLSET: GB fixed + China mobile included; IT, MA, GB mobile not (001 §7)
    assert allset["international_included_calls"] == 2
    # ProgetCom: GB fixed + IT fixed included; China mobile, MA, GB mobile not (002 §7.1 c)
    assert prog["international_included_calls"] == 2
    for r in (allset, prog):
        assert r["national_fixed_calls"] == 2 and r["national_mobile_calls"] == 1
        assert r["out_of_plan_calls"] == 10 - 2 - 3  # 3 intl not included + 08 + short number


def test_the_40_vs_44_quirk_is_reported():
    assert len(usage.fair_use_rules(load_profile("progetcom")).international) == 44
    assert "44" in usage.fair_use_rules(load_profile("progetcom")).quirk
    assert usage.fair_use_rules(load_profile("allset")).international_count_in_text == 40


# ----- flags and amounts -----------------------------------------------------------------------------------


def _distinct_rows(user: str, n: int, day: str = "2026-03-03") -> list[str]:
    return [f"{user},01{i:08d},{day}T09:{i % 60:02d}:00,61,handset" for i in range(n)]


def test_150_numbers_is_allowed_151_is_not(tmp_path):
    f = write(
        tmp_path / "c.csv",
        _distinct_rows("ok", 150)
        + _distinct_rows("over", 151)
        + ["over,0100000000,2026-04-01T09:00:00,10,handset"],
    )
    res = by_user(usage.audit(load_profile("allset"), f))
    assert set(res) == {("over", "2026-03")}
    r = res[("over", "2026-03")]
    assert r["flags"] == "over_150_numbers" and r["distinct_numbers"] == 151
    # retro billing: 151 national fixed calls of 61 s = 2 started minutes each × 0.02 € = 6.04 €
    assert r["retro_national_fixed_eur"] == Decimal("6.04")
    assert r["penalty_eur"] == Decimal("0.00")


def test_same_number_national_and_international_forms_count_once(tmp_path):
    rows = [
        "u,0145678912,2026-03-03T09:00:00,5,handset",
        "u,+33145678912,2026-03-03T09:00:00,5,handset",
        "u,0033145678912,2026-03-03T09:00:00,5,handset",
    ]
    r = by_user(usage.audit(load_profile("allset"), write(tmp_path / "c.csv", rows), every_month=True))
    assert r[("u", "2026-03")]["distinct_numbers"] == 1


def test_devices_gateway_pbx_mobility(tmp_path):
    rows = [
        "g,0145678912,2026-03-03T09:00:00,120,gateway",
        "g,0612345678,2026-03-03T09:00:00,30,handset",
        "m,0145678912,2026-03-03T09:00:00,60,mobility",
    ]
    f = write(tmp_path / "c.csv", rows)
    allset = by_user(usage.audit(load_profile("allset"), f))
    assert allset[("g", "2026-03")]["flags"] == "gateway" and allset[("m", "2026-03")]["flags"] == "mobility"
    prog = by_user(usage.audit(load_profile("progetcom"), f))
    assert set(prog) == {("g", "2026-03")}  # no mobility rule in 002 §7
    g = prog[("g", "2026-03")]
    # retro: 2 min × 0.02 = 0.04; penalty 400 % × (2 min × 0.02 + 1 min × 0.10) = 4 × 0.14 = 0.56 (002 §7.2 a)
    assert g["retro_national_fixed_eur"] == Decimal("0.04") and g["penalty_eur"] == Decimal("0.56")


def test_rates_are_inputs(tmp_path):
    f = write(tmp_path / "c.csv", ["g,0145678912,2026-03-03T09:00:00,120,gateway"])
    r = usage.audit(load_profile("allset"), f, rates={"national_fixed": "0.5"})
    assert r.rows[0]["retro_national_fixed_eur"] == Decimal("1.00")
    with pytest.raises(InputError):
        usage.audit(load_profile("allset"), f, rates={"moon": "1"})


def test_call_centre_pattern(tmp_path):
    rows = [f"cc,01{i:08d},2026-03-{1 + i % 28:02d}T10:00:00,30,handset" for i in range(1000)]
    r = by_user(usage.audit(load_profile("progetcom"), write(tmp_path / "c.csv", rows)))[("cc", "2026-03")]
    assert r["flags"] == "over_150_numbers,call_centre"
    # penalty: 1,000 calls × 1 started minute × 0.02 € × 400 % = 80 €
    assert r["penalty_eur"] == Decimal("80.00")


# ----- a generated file: fast path = the row-by-row reference -------------------------------------


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    f = tmp_path_factory.mktemp("cdr") / "gen.csv"
    with f.open("wb") as fh:
        for block in synthetic_cdrs(30_000, users=20, seed=7, batch=7_000):
            fh.write(block)
    return f


@pytest.mark.parametrize("name", ["allset", "progetcom"])
def test_generated_file_matches_the_naive_reference(generated, name):
    profile = load_profile(name)
    fast = by_user(usage.audit(profile, generated, every_month=True))
    naive = audit_naive(profile, generated)
    assert set(fast) == set(naive)
    for key, ref in naive.items():
        got = fast[key]
        assert got["calls"] == ref["calls"]
        assert got["distinct_numbers"] == ref["distinct_numbers"]
        assert got["national_fixed_calls"] == ref["national_fixed"]
        assert got["international_included_calls"] == ref["international_included"]
        assert got["out_of_plan_calls"] == ref["national_special"] + ref["international_other"]
    flagged = {k for k, r in fast.items() if r["flags"]}
    assert {("u0000", "2026-03"), ("u0001", "2026-04"), ("u0003", "2026-03")} <= flagged
    assert "gateway" in fast[("u0003", "2026-03")]["flags"]


def test_small_chunks_give_the_same_result(generated):
    p = load_profile("allset")
    a = usage.audit(p, generated, every_month=True)
    b = usage.audit(p, generated, every_month=True, chunk_bytes=4096)
    assert a.rows == b.rows and a.totals == b.totals


def test_blanks_around_values_are_stripped_in_every_chunk(tmp_path):
    rows = ["u1,0145678912,2026-03-03 09:00:00,60,handset"] * 50 + [
        " u1 , 0145678912 ,2026-03-03T09:00:00,60,handset"
    ]
    r = usage.audit(
        load_profile("allset"), write(tmp_path / "c.csv", rows), every_month=True, chunk_bytes=256
    )
    assert r.users == 1 and r.rows[0]["calls"] == 51 and r.rows[0]["distinct_numbers"] == 1


def test_quotes_crlf_offsets_go_through_the_row_parser(tmp_path):
    rows = [
        '"q",0145678912,2026-03-03T09:00:00,60,handset\r',
        "q,0145678912,2026-03-31T23:30:00-02:00,60,handset\r",
    ]
    r = by_user(usage.audit(load_profile("allset"), write(tmp_path / "c.csv", rows), every_month=True))
    # 2026-03-31T23:30-02:00 = 2026-04-01T03:30 in Paris
    assert r[("q", "2026-03")]["calls"] == 1 and r[("q", "2026-04")]["calls"] == 1


# ----- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ("u,0145678912,2026-03-03T09:00:00,12a,handset", "duration_s"),
        ("u,0145678912,2026-03-03T09:00:00,-5,handset", "duration_s"),
        ("u,01-45,2026-03-03T09:00:00,12,handset", "callee"),
        ("u,0145678912,2026-02-30T09:00:00,12,handset", "start"),
        ("u,0145678912,2026-03-29T02:30:00,12,handset", "start"),  # skipped spring hour (CONTRACTS §13)
        ("u,0145678912,2026-03-03T09:00:00,12,fax", "device_kind"),
        (",0145678912,2026-03-03T09:00:00,12,handset", "caller_user"),
        ("u,0145678912,2026-03-03T09:00:00", None),
    ],
)
def test_malformed_row_names_file_line_and_field(tmp_path, row, field):
    good = "u,0145678912,2026-03-03T09:00:00,60,handset"
    f = write(tmp_path / "bad.csv", [good, good, row, good])
    with pytest.raises(InputError) as exc:
        usage.audit(load_profile("allset"), f)
    assert exc.value.line == 4 and exc.value.field == field and exc.value.file == str(f)


def test_missing_column_and_alleo_have_clear_errors(tmp_path):
    f = write(
        tmp_path / "c.csv",
        ["u,0145678912,2026-03-03T09:00:00,60"],
        header="caller_user,callee,start,duration_s\n",
    )
    with pytest.raises(InputError, match="device_kind"):
        usage.audit(load_profile("allset"), f)
    with pytest.raises(InputError, match="fair-use"):
        usage.audit(load_profile("alleo"), f)


def test_semicolon_exports_read_like_commas(generated, tmp_path):
    """French spreadsheet exports separate with ";" (issue 10 §1): same audit, fast path and row parser."""
    semi = tmp_path / "semi.csv"
    semi.write_bytes(b"\xef\xbb\xbf" + generated.read_bytes().replace(b",", b";"))
    p = load_profile("allset")
    a = usage.audit(p, generated, every_month=True)
    b = usage.audit(p, semi, every_month=True)
    c = usage.audit(p, semi, every_month=True, chunk_bytes=4096)
    assert a.rows == b.rows == c.rows and a.totals == b.totals
    rows = ['"q";0145678912;2026-03-03T09:00:00;60;handset\r', "q;0145678912;2026-03-03 10:00:00;60;handset"]
    r = by_user(usage.audit(p, write(tmp_path / "q.csv", rows, HEADER.replace(",", ";")), every_month=True))
    assert r[("q", "2026-03")]["calls"] == 2


def test_semicolon_bad_row_names_line_and_field(tmp_path):
    good = "u;0145678912;2026-03-03T09:00:00;60;handset"
    f = write(
        tmp_path / "bad.csv", [good, "u;0145678912;2026-03-29T02:30:00;12;handset"], HEADER.replace(",", ";")
    )
    with pytest.raises(InputError) as exc:
        usage.audit(load_profile("allset"), f)
    assert exc.value.line == 3 and exc.value.field == "start"
