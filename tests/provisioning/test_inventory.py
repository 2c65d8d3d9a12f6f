"""sites.csv import and equipment warranties."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.errors import InputError
from provisioning import db
from provisioning.inventory import add_equipment, import_sites, list_sites, warranty_end

HEADER = "site,customer,address,postcode,city,profile,service_start\n"


def test_import_creates_then_updates(db_url, sites_csv):
    with db.session_scope(db_url) as s:
        sites = import_sites(s, sites_csv)
        assert [(x.name, x.departement, x.profile) for x in sites] == [
            ("paris-hq", "75", "alleo"),
            ("lyon", "69", "allset"),
            ("strasbourg", "67", "alleo"),
        ]
        assert sites[0].service_start == date(2026, 1, 15) and sites[1].service_start is None
    sites_csv.write_text(
        HEADER + "lyon,Acme,2 place Bellecour,69002,Lyon,allset,2026-06-01\n", encoding="utf-8"
    )
    with db.session_scope(db_url) as s:
        import_sites(s, sites_csv)
        assert {x.name: x.service_start for x in list_sites(s)}["lyon"] == date(2026, 6, 1)
        assert len(list_sites(s)) == 3


@pytest.mark.parametrize(
    ("row", "where"),
    [
        ("b,Acme,1 rue X,7500,Paris,alleo,", r"sites.csv:3: postcode:"),
        ("b,Acme,1 rue X,75001,Paris,orange,", r"sites.csv:3: profile: unknown profile 'orange'"),
        ("b,Acme,1 rue X,75001,Paris,alleo,2026-13-01", r"sites.csv:3: service_start:"),
        ("b,,1 rue X,75001,Paris,alleo,", r"sites.csv:3: customer: empty value"),
        ("a,Acme,1 rue X,75001,Paris,alleo,", r"sites.csv:3: site: site 'a' already on line 2"),
    ],
)
def test_bad_rows_import_nothing(db_url, tmp_path, row, where):
    path = tmp_path / "sites.csv"
    path.write_text(HEADER + "a,Acme,1 rue X,75001,Paris,alleo,\n" + row + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=where):
        with db.session_scope(db_url) as s:
            import_sites(s, path)
    with db.session_scope(db_url) as s:
        assert list_sites(s) == []


def test_missing_column(db_url, tmp_path):
    path = tmp_path / "sites.csv"
    path.write_text("site,customer\na,b\n", encoding="utf-8")
    with pytest.raises(InputError, match="sites.csv:1: missing column"):
        with db.session_scope(db_url) as s:
            import_sites(s, path)


@pytest.mark.parametrize(
    ("profile", "delivered", "lease", "end"),
    [
        ("alleo", date(2026, 1, 31), None, date(2028, 1, 31)),  # 000 §2.6: 24 months
        ("alleo", date(2026, 1, 31), 36, date(2029, 1, 31)),  # 000 §2.7: lease length
        ("allset", date(2024, 2, 29), None, date(2025, 2, 28)),  # 12 months, clamped
        ("progetcom", date(2026, 3, 15), None, date(2027, 3, 15)),
        ("allocloud", date(2026, 3, 15), None, date(2027, 3, 15)),  # 004 §8: one year
    ],
)
def test_warranty_per_profile(profile, delivered, lease, end):
    assert warranty_end(profile, delivered, lease) == end


def test_add_equipment(db_url, sites_csv):
    with db.session_scope(db_url) as s:
        import_sites(s, sites_csv)
        item = add_equipment(s, "lyon", "handset", "SN-1", date(2026, 2, 1))
        assert item.warranty_end == date(2027, 2, 1)
        with pytest.raises(InputError, match="already recorded"):
            add_equipment(s, "lyon", "handset", "SN-1", date(2026, 2, 1))
        with pytest.raises(InputError, match="only applies to ALLEO"):
            add_equipment(s, "lyon", "handset", "SN-2", date(2026, 2, 1), lease_months=12)
