"""Every enumeration and named default of the SIP harness, in one place."""

from __future__ import annotations

from enum import Enum, StrEnum

APT_INSTALL = "apt-get install -y kamailio kamailio-sqlite-modules"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5070
DEFAULT_RUN_DIR = "runs/pbx"
# 503 because pyVoIP understands no other refusal (SIP-NOTES); the header tells the limit.
LIMIT_CODE = 503
LIMIT_REASON = "Channel limit reached"
LIMIT_HEADER = "X-Channel-Limit"


class InviteChallenge(int, Enum):
    """How the PBX challenges INVITEs: 401 (pyVoIP answers only this) or 407 (proxy style)."""

    www = 401
    proxy = 407


class ReportFormat(StrEnum):
    """Output formats of `centrex sip check`."""

    table = "table"
    json = "json"
    junit = "junit"
