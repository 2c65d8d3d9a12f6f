"""Tenants (SIP domains with a channel limit) and SIP accounts, whose password is kept only as HA1."""

from __future__ import annotations

import functools
import hashlib
import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from contracts.errors import InputError
from provisioning.clock import default_actor
from provisioning.models import Customer, SipAccount, Tenant, utcnow

SIP_DOMAIN = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"
)
SIP_USERNAME = re.compile(r"^[A-Za-z0-9._+-]{1,64}$")


def ha1(username: str, realm: str, password: str) -> str:
    """Return the digest HA1 md5(username:realm:password) (RFC 2617): all a registrar needs."""
    return hashlib.md5(f"{username}:{realm}:{password}".encode(), usedforsecurity=False).hexdigest()


HAND_OVERRIDE = "channel limit typed by hand (--channels)"


def add_tenant(
    session: Session,
    name: str,
    domain: str,
    channel_limit: int,
    customer: str | None = None,
    *,
    actor: str | None = None,
    at: datetime | None = None,
    reason: str = HAND_OVERRIDE,
) -> Tenant:
    """Create a tenant (a SIP domain) with a concurrent-call limit given by hand; optionally owned by a
    customer. A limit not derived from a contract is recorded as an override: who, when, why."""
    name = name.strip()
    if not name:
        raise InputError("tenant name is empty", field="name")
    if not SIP_DOMAIN.match(domain):
        raise InputError(f"{domain!r} is not a valid SIP domain", field="domain")
    if channel_limit < 0:
        raise InputError(f"channel limit must be ≥ 0, got {channel_limit}", field="channels")
    if session.scalar(select(Tenant).where(Tenant.name == name)) is not None:
        raise InputError(f"tenant {name!r} already exists", field="name")
    if session.scalar(select(Tenant).where(Tenant.domain == domain)) is not None:
        raise InputError(f"domain {domain!r} already belongs to a tenant", field="domain")
    owner = None
    if customer is not None:
        owner = session.scalar(select(Customer).where(Customer.name == customer))
        if owner is None:
            raise InputError(f"unknown customer {customer!r}", field="customer")
    tenant = Tenant(
        name=name,
        domain=domain.lower(),
        channel_limit=channel_limit,
        customer=owner,
        override_channels=channel_limit,
        override_at=at or utcnow(),
        override_by=actor or default_actor(),
        override_reason=reason,
    )
    session.add(tenant)
    session.flush()
    return tenant


@functools.cache
def _channel_contract(profile: str):
    from contracts.sizing import load_channel_contract

    try:
        return load_channel_contract(profile)
    except InputError:
        return None  # the profile has no allowance formula: its channels are contracted as a number


def contract_allowance(profile: str, users: int, contract_channels: int | None) -> int:
    """Return the channel limit a tenant's contract gives: for a profile with an allowance formula
    (ALLOcloud, 004 §11.d) the whole calls its `users` allow, as `centrex capacity` computes them;
    for the others the contracted `contract_channels` (none contracted: 0)."""
    contract = _channel_contract(profile)
    if contract is None:
        return contract_channels or 0
    from contracts.sizing import pbx_channel_limit

    return pbx_channel_limit(users, contract)


def get_tenant(session: Session, name: str) -> Tenant:
    """Return the tenant called `name` (InputError when unknown)."""
    tenant = session.scalar(select(Tenant).where(Tenant.name == name))
    if tenant is None:
        raise InputError(f"unknown tenant {name!r}", field="tenant")
    return tenant


def add_sip_account(session: Session, tenant: str, username: str, password: str) -> SipAccount:
    """Create a SIP account of `tenant`, storing only HA1 with the tenant's domain as realm (000 §8)."""
    owner = get_tenant(session, tenant)
    if not SIP_USERNAME.match(username):
        raise InputError(
            f"{username!r} is not a valid SIP username (letters, digits, . _ + -)", field="username"
        )
    if not password:
        raise InputError("password is empty", field="password")
    exists = select(SipAccount).where(SipAccount.tenant_id == owner.id, SipAccount.username == username)
    if session.scalar(exists) is not None:
        raise InputError(f"account {username!r} already exists in tenant {tenant!r}", field="username")
    account = SipAccount(tenant=owner, username=username, ha1=ha1(username, owner.domain, password))
    session.add(account)
    session.flush()
    return account


def list_tenants(session: Session) -> list[Tenant]:
    """Return every tenant, by name, with its accounts loaded."""
    return list(session.scalars(select(Tenant).options(selectinload(Tenant.accounts)).order_by(Tenant.name)))


def list_sip_accounts(session: Session, tenant: str | None = None) -> list[SipAccount]:
    """Return the SIP accounts (of one tenant, or all), by tenant then username, tenant loaded."""
    query = select(SipAccount).join(Tenant).options(selectinload(SipAccount.tenant))
    if tenant is not None:
        query = query.where(Tenant.name == get_tenant(session, tenant).name)
    return list(session.scalars(query.order_by(Tenant.name, SipAccount.username)))
