"""The PBX inventory: validation, serialisation, and building it from the provisioning database."""

import os

import pytest

from contracts.errors import InputError
from sip.digest import ha1
from sip.inventory import Account, PbxInventory, Tenant, build_inventory, demo_inventory, load_inventory


def test_demo_inventory_has_two_tenants_with_limits_2_and_5():
    inv = demo_inventory()
    assert sorted(t.channel_limit for t in inv.tenants) == [2, 5]
    assert all(len(inv.accounts_of(t.name)) >= 2 for t in inv.tenants)
    assert PbxInventory.from_json(inv.to_json()) == inv


def test_unknown_tenant_and_duplicates_are_input_errors():
    inv = build_inventory({"a": (1, ["x"])})
    with pytest.raises(InputError, match="unknown tenant 'zz'"):
        inv.tenant("zz")
    with pytest.raises(InputError, match="duplicate tenant domain"):
        PbxInventory((Tenant("a", "d.test", 1), Tenant("b", "d.test", 1)))
    with pytest.raises(InputError, match="unknown tenant"):
        PbxInventory((Tenant("a", "d.test", 1),), (Account("x", "b", "0" * 32),))


def test_inventory_without_accounts_is_refused():
    with pytest.raises(InputError, match="no SIP accounts"):
        PbxInventory((Tenant("a", "a.test", 2),)).require_accounts()


def test_load_from_provisioning_database_keeps_ha1_only(tmp_path):
    from provisioning import accounts, db

    url = f"sqlite:///{tmp_path / 'inv.db'}"
    with db.session_scope(url) as s:
        accounts.add_tenant(s, "acme", "acme.example", 3)
        accounts.add_sip_account(s, "acme", "alice", "s3cret")
    inv = load_inventory(url)
    assert inv.tenants == (Tenant("acme", "acme.example", 3),)
    assert inv.accounts == (Account("alice", "acme", ha1("alice", "acme.example", "s3cret")),)
    assert "s3cret" not in inv.to_json()


def test_load_from_empty_database_then_require_accounts_fails(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    inv = load_inventory(url)
    with pytest.raises(InputError, match="no SIP accounts"):
        inv.require_accounts()
    assert os.path.exists(tmp_path / "empty.db")
