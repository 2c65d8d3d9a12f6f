"""Every enumeration and named default of the SIP harness, in one place."""

from __future__ import annotations

from enum import Enum, StrEnum

APT_INSTALL = "apt-get install -y kamailio kamailio-sqlite-modules kamailio-tls-modules"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5070
# pike, per source IP: more than DENSITY requests within UNIT seconds block the IP. Every test client
# is 127.0.0.1, so the default sits above what the harness drives in its checks (≈ 2 requests per
# digest REGISTER) yet well below a flood; load tests on loopback turn it off (`--no-pike`).
DEFAULT_PIKE_DENSITY = 20000
DEFAULT_PIKE_UNIT_S = 2
# Unknown usernames get the realm of a tenant chosen among this many hash buckets (route[REALM]).
REALM_BUCKETS = 4096
DEFAULT_RUN_DIR = "runs/pbx"
# 503 because pyVoIP understands no other refusal (SIP-NOTES); the header tells the limit.
LIMIT_CODE = 503
LIMIT_REASON = "Channel limit reached"
LIMIT_HEADER = "X-Channel-Limit"


class InviteChallenge(int, Enum):
    """How the PBX challenges INVITEs: 401 (pyVoIP answers only this) or 407 (proxy style)."""

    www = 401
    proxy = 407


class InviteDigestUri(StrEnum):
    """What an INVITE's digest-uri must share with its Request-URI (REGISTER: always user, host, port).

    `request`: the same SIP URI (RFC 2617 §3.2.2.5). `host`: host and port only — pyVoIP signs
    sip:SERVER;transport=UDP for every INVITE, whoever it calls."""

    request = "request"
    host = "host"


class InterTenant(StrEnum):
    """Whose channels a call between two tenants of the PBX takes (a harness choice: the seeds say
    nothing of calls between accounts; 004 §11.d only sizes each account's concurrent calls).

    `both` (default): a channel of the caller's tenant and one of the callee's, as if the call left one
    account and entered the other. `caller`: only the caller's, as if it never left the platform. A
    call inside one tenant takes one channel either way."""

    both = "both"
    caller = "caller"


class ReportFormat(StrEnum):
    """Output formats of `centrex sip check`."""

    table = "table"
    json = "json"
    junit = "junit"
