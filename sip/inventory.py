"""The PBX's view of the inventory: tenants with channel limits, SIP accounts with their HA1.

A plain value built from the provisioning database by one function, so the config generator, the
checks and the tests never need the database. It holds HA1 only: the harness computes digest
responses from HA1, so no plain password is stored anywhere.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from contracts.errors import InputError
from sip.digest import ha1


@dataclass(frozen=True)
class Tenant:
    """A customer on the PBX: its SIP domain (the digest realm) and its concurrent-call limit."""

    name: str
    domain: str
    channel_limit: int


@dataclass(frozen=True)
class Account:
    """A SIP account: username, owning tenant, and HA1 = md5(username:tenant domain:password)."""

    username: str
    tenant: str
    ha1: str


@dataclass(frozen=True)
class PbxInventory:
    """Tenants and accounts the test PBX serves."""

    tenants: tuple[Tenant, ...]
    accounts: tuple[Account, ...] = field(default=())

    def __post_init__(self) -> None:
        names = [t.name for t in self.tenants]
        domains = [t.domain for t in self.tenants]
        for what, values in (("tenant name", names), ("tenant domain", domains)):
            dup = {v for v in values if values.count(v) > 1}
            if dup:
                raise InputError(f"duplicate {what} {sorted(dup)[0]!r}", field="tenants")
        for t in self.tenants:
            if t.channel_limit < 0:
                raise InputError(f"tenant {t.name!r}: negative channel limit", field="channel_limit")
        seen: set[tuple[str, str]] = set()
        for a in self.accounts:
            if a.tenant not in names:
                raise InputError(f"account {a.username!r}: unknown tenant {a.tenant!r}", field="tenant")
            if (a.username, a.tenant) in seen:
                raise InputError(f"duplicate account {a.username!r} in tenant {a.tenant!r}", field="username")
            seen.add((a.username, a.tenant))

    def tenant(self, name: str) -> Tenant:
        """Return the tenant called `name`; InputError when there is none."""
        for t in self.tenants:
            if t.name == name:
                return t
        known = ", ".join(t.name for t in self.tenants) or "none"
        raise InputError(f"unknown tenant {name!r} (known: {known})", field="tenant")

    def accounts_of(self, tenant: str) -> list[Account]:
        """Return the accounts of `tenant`, in username order."""
        return sorted((a for a in self.accounts if a.tenant == tenant), key=lambda a: a.username)

    def domain_of(self, account: Account) -> str:
        """Return the SIP domain (realm) of `account`."""
        return self.tenant(account.tenant).domain

    def require_accounts(self) -> None:
        """Raise InputError when there is nothing to register."""
        if not self.accounts:
            raise InputError(
                "the inventory has no SIP accounts: add some (centrex inventory …) "
                "or use `centrex pbx up --demo`",
                field="accounts",
            )

    def to_json(self) -> str:
        """Serialise (HA1 included: keep the file mode 0600)."""
        return json.dumps(
            {"tenants": [asdict(t) for t in self.tenants], "accounts": [asdict(a) for a in self.accounts]},
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str) -> PbxInventory:
        """Inverse of `to_json`."""
        data = json.loads(text)
        return cls(tuple(Tenant(**t) for t in data["tenants"]), tuple(Account(**a) for a in data["accounts"]))


def build_inventory(spec: Mapping[str, tuple[int, Iterable[str]]], *, suffix: str = "test") -> PbxInventory:
    """Build an inventory from {tenant: (channel limit, usernames)} with random, discarded passwords.

    Each tenant's domain is `<tenant>.<suffix>`. The passwords are never kept: the harness signs with HA1.
    """
    tenants, accounts = [], []
    for name, (limit, usernames) in spec.items():
        domain = f"{name}.{suffix}"
        tenants.append(Tenant(name, domain, int(limit)))
        for user in usernames:
            accounts.append(Account(user, name, ha1(user, domain, secrets.token_urlsafe(12))))
    return PbxInventory(tuple(tenants), tuple(accounts))


def demo_inventory() -> PbxInventory:
    """The `pbx up --demo` inventory: two tenants with limits 2 and 5, a few accounts each."""
    return build_inventory(
        {
            "acme": (2, ["alice", "bob", "carol"]),
            "globex": (5, ["dave", "erin", "frank", "grace"]),
        },
        suffix="demo",
    )


def canonical_db(url: str | None) -> str:
    """The database URL `url` names, independent of the working directory (SQLite paths absolute)."""
    from provisioning import db as prov_db

    full = prov_db.resolve_url(url)
    prefix = "sqlite:///"
    if full.startswith(prefix) and full[len(prefix) :] not in ("", ":memory:"):
        return prefix + str(Path(full[len(prefix) :]).resolve())
    return full


def require_database(url: str | None) -> str:
    """InputError when `url` is a SQLite file that does not exist (a PBX must not create one)."""
    full = canonical_db(url)
    prefix = "sqlite:///"
    if full.startswith(prefix) and not Path(full[len(prefix) :]).exists():
        raise InputError(
            f"no inventory database at {full[len(prefix) :]}: give --db FILE_OR_URL, or create it "
            "with `centrex db upgrade` and add tenants and accounts (`centrex inventory …`)",
            field="--db",
        )
    return full


def load_inventory(url: str | None = None) -> PbxInventory:
    """Read tenants and *enabled* SIP accounts from the provisioning database (`url` None: CENTREX_DB
    or default). A disabled account is not served: it cannot register or call."""
    from provisioning import accounts as prov_accounts
    from provisioning import db as prov_db

    with prov_db.session_scope(url) as session:
        tenants = tuple(
            Tenant(t.name, t.domain, int(t.channel_limit)) for t in prov_accounts.list_tenants(session)
        )
        accounts = tuple(
            Account(a.username, _tenant_name(a.tenant), a.ha1)
            for a in prov_accounts.list_sip_accounts(session)
            if getattr(a, "enabled", True)
        )
    return PbxInventory(tenants, accounts)


def _tenant_name(tenant: object) -> str:
    """Accept a Tenant model or a plain name (the provisioning API returns the relation)."""
    return tenant if isinstance(tenant, str) else tenant.name  # type: ignore[attr-defined]
