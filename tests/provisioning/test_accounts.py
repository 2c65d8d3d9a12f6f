"""Tenants and SIP accounts: only HA1 is stored."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import text

from contracts.errors import InputError
from provisioning import db
from provisioning.accounts import add_sip_account, add_tenant, ha1, list_sip_accounts, list_tenants


def test_ha1_uses_the_tenant_domain_as_realm(db_url):
    with db.session_scope(db_url) as s:
        add_tenant(s, "acme", "acme.test", 4)
        acct = add_sip_account(s, "acme", "1001", "s3cret")
        assert (
            acct.ha1
            == hashlib.md5(b"1001:acme.test:s3cret").hexdigest()
            == ha1("1001", "acme.test", "s3cret")
        )
    with db.engine_for(db_url).connect() as conn:
        dump = " ".join(str(row) for row in conn.execute(text("SELECT * FROM sip_account")))
    assert "s3cret" not in dump


def test_lists(db_url):
    with db.session_scope(db_url) as s:
        add_tenant(s, "b", "b.test", 2)
        add_tenant(s, "a", "a.test", 8)
        add_sip_account(s, "b", "200", "x")
        add_sip_account(s, "a", "100", "y")
    with db.session_scope(db_url) as s:
        assert [(t.name, t.channel_limit) for t in list_tenants(s)] == [("a", 8), ("b", 2)]
        assert [(a.tenant.name, a.username, a.domain) for a in list_sip_accounts(s)] == [
            ("a", "100", "a.test"),
            ("b", "200", "b.test"),
        ]


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda s: add_tenant(s, "acme", "other.test", 1), "already exists"),
        (lambda s: add_tenant(s, "other", "acme.test", 1), "already belongs"),
        (lambda s: add_tenant(s, "x", "bad domain", 1), "not a valid SIP domain"),
        (lambda s: add_tenant(s, "x", "x.test", -1), "channel limit"),
        (lambda s: add_sip_account(s, "nope", "1", "p"), "unknown tenant"),
        (lambda s: add_sip_account(s, "acme", "1001", "p"), "already exists"),
        (lambda s: add_sip_account(s, "acme", "a b", "p"), "not a valid SIP username"),
        (lambda s: add_sip_account(s, "acme", "1002", ""), "password is empty"),
    ],
)
def test_bad_input(db_url, call, error):
    with db.session_scope(db_url) as s:
        add_tenant(s, "acme", "acme.test", 4)
        add_sip_account(s, "acme", "1001", "p")
    with pytest.raises(InputError, match=error):
        with db.session_scope(db_url) as s:
            call(s)
    with db.session_scope(db_url) as s:
        assert len(list_tenants(s)) == 1 and len(list_sip_accounts(s)) == 1
