"""SQLAlchemy 2 models of the inventory: customers, sites, equipment, tenants, SIP accounts, numbers.

Numbers are stored as integers (the E.164 digits without "+"), so a block is an integer interval and its
alignment is `start % size == 0`. Times are stored in UTC and come back tz-aware.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from provisioning.choices import RangeKind, SiteState

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator):
    """A tz-aware datetime stored as naive UTC (SQLite keeps no offset); read back as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UtcDateTime column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    """Return the current instant, tz-aware."""
    return datetime.now(UTC)


def postal_address(site) -> str:
    """Return the one-line postal address of a site (or a row with address, postcode, city)."""
    return f"{site.address}, {site.postcode} {site.city}"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Customer(Base):
    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    sites: Mapped[list[Site]] = relationship(back_populates="customer")


class Site(Base):
    """A customer site: its address gives the département (calendar variant, numbering zone)."""

    __tablename__ = "site"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    address: Mapped[str] = mapped_column(Text)
    postcode: Mapped[str] = mapped_column(String(5))
    city: Mapped[str] = mapped_column(String(100))
    departement: Mapped[str] = mapped_column(String(3))
    profile: Mapped[str] = mapped_column(String(40))
    service_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    state: Mapped[str] = mapped_column(
        String(12), default=SiteState.ordered.value, server_default=SiteState.ordered.value
    )
    state_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    state_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="sites")
    equipment: Mapped[list[Equipment]] = relationship(back_populates="site")

    @property
    def postal_address(self) -> str:
        """Return the one-line postal address carried by the site's number blocks (004 §7)."""
        return postal_address(self)


class Equipment(Base):
    __tablename__ = "equipment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    serial: Mapped[str] = mapped_column(String(100), unique=True)
    delivery_date: Mapped[date] = mapped_column(Date)
    warranty_end: Mapped[date] = mapped_column(Date)

    site: Mapped[Site] = relationship(back_populates="equipment")


class Tenant(Base):
    """A SIP domain with its concurrent-call limit; may belong to a customer.

    The limit is the contract's allowance (`profile`: ALLOcloud counts the enabled accounts, 004 §11.d;
    other profiles `contract_channels`) unless an override is recorded: who, when, why, and the value.
    """

    __tablename__ = "tenant"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    domain: Mapped[str] = mapped_column(String(253), unique=True)
    channel_limit: Mapped[int] = mapped_column(Integer)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), nullable=True)
    profile: Mapped[str | None] = mapped_column(String(40), nullable=True)
    contract_channels: Mapped[int | None] = mapped_column(Integer, nullable=True)
    override_channels: Mapped[int | None] = mapped_column(Integer, nullable=True)
    override_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    override_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    override_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    customer: Mapped[Customer | None] = relationship()
    accounts: Mapped[list[SipAccount]] = relationship(back_populates="tenant", order_by="SipAccount.username")


class SipAccount(Base):
    """A SIP login: only HA1 = md5(username:domain:password) is kept, never the password (000 §8)."""

    __tablename__ = "sip_account"
    __table_args__ = (UniqueConstraint("tenant_id", "username", name="uq_sip_account_tenant_username"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    username: Mapped[str] = mapped_column(String(64))
    ha1: Mapped[str] = mapped_column(String(32))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"), nullable=True, index=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    tenant: Mapped[Tenant] = relationship(back_populates="accounts")
    site: Mapped[Site | None] = relationship()

    @property
    def domain(self) -> str:
        """Return the SIP domain (digest realm) of the account's tenant."""
        return self.tenant.domain


class NumberRange(Base):
    """A range of numbers: the operator's own (start … start+size-1), or those ported in from one donor.

    A `ported` range holds the numbers of one zone ported in from its donor operator, wherever they lie:
    `start` is the smallest and `size` the count, so every number still belongs to exactly one range.
    """

    __tablename__ = "number_range"
    __table_args__ = (Index("uq_number_range_donor_zone", "donor", "zone", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    start: Mapped[int] = mapped_column(BigInteger, unique=True)
    size: Mapped[int] = mapped_column(Integer)
    zone: Mapped[str] = mapped_column(String(2))
    kind: Mapped[str] = mapped_column(
        String(10), default=RangeKind.operator.value, server_default=RangeKind.operator.value
    )
    donor: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))


class Number(Base):
    """One number of a range; `block_id` is set while allocated or quarantined."""

    __tablename__ = "number"
    __table_args__ = (
        Index("ix_number_state_zone_e164", "state", "zone", "e164"),
        # only quarantined numbers have an end date: a small index the per-allocation sweep can use
        Index(
            "ix_number_quarantine_until",
            "quarantine_until",
            sqlite_where=text("quarantine_until IS NOT NULL"),
            postgresql_where=text("quarantine_until IS NOT NULL"),
        ),
    )

    e164: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    range_id: Mapped[int] = mapped_column(ForeignKey("number_range.id"))
    zone: Mapped[str] = mapped_column(String(2))
    state: Mapped[str] = mapped_column(String(12))
    # not indexed: a block's numbers are found by their e164 interval (the primary key), and each index
    # more is pages more written by every allocation
    block_id: Mapped[int | None] = mapped_column(ForeignKey("number_block.id"), nullable=True)
    quarantine_until: Mapped[date | None] = mapped_column(Date, nullable=True)


class NumberBlock(Base):
    """A contiguous SDA block given to a site, with its emergency address (004 §7).

    Allocated blocks are size-aligned; `ported` blocks are runs of ported-in numbers, of any size.
    """

    __tablename__ = "number_block"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    start: Mapped[int] = mapped_column(BigInteger)  # not indexed: numbers lead to their block
    size: Mapped[int] = mapped_column(Integer)
    zone: Mapped[str] = mapped_column(String(2))
    purpose: Mapped[str] = mapped_column(String(20))
    ported: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    emergency_address: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12))
    allocated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    allocated_by: Mapped[str] = mapped_column(String(100))
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    released_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    quarantine_until: Mapped[date | None] = mapped_column(Date, nullable=True)

    site: Mapped[Site] = relationship()


class Mandate(Base):
    """A portability mandate (000 §2.3) and where it stands."""

    __tablename__ = "mandate"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    holder: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(Text)
    rio: Mapped[str | None] = mapped_column(String(12), nullable=True)
    expires: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    accepted_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    port_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    site: Mapped[Site] = relationship()
    numbers: Mapped[list[MandateNumber]] = relationship(
        back_populates="mandate", cascade="all, delete-orphan", order_by="MandateNumber.e164"
    )
    events: Mapped[list[MandateEvent]] = relationship(
        back_populates="mandate", cascade="all, delete-orphan", order_by="MandateEvent.id"
    )


class MandateNumber(Base):
    __tablename__ = "mandate_number"

    mandate_id: Mapped[int] = mapped_column(ForeignKey("mandate.id"), primary_key=True)
    e164: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)

    mandate: Mapped[Mandate] = relationship(back_populates="numbers")


class MandateEvent(Base):
    """One audited transition of a mandate: when, by whom, why."""

    __tablename__ = "mandate_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mandate_id: Mapped[int] = mapped_column(ForeignKey("mandate.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[str | None] = mapped_column(String(12), nullable=True)
    to_state: Mapped[str] = mapped_column(String(12))
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)

    mandate: Mapped[Mandate] = relationship(back_populates="events")


class OblLine(Base):
    """The simulated local-loop operator's own record of one number: its main line (NDI) and holder."""

    __tablename__ = "obl_line"

    e164: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    ndi: Mapped[int] = mapped_column(BigInteger, index=True)
    holder: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(Text)
    line_type: Mapped[str] = mapped_column(String(12))
    access_available: Mapped[bool] = mapped_column(Boolean, default=True)
