"""HTTP digest for SIP (RFC 2617 / 3261 §22), computed from HA1 so no password is ever needed."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

_PARAM = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


def md5_hex(text: str) -> str:
    """Return the hex MD5 of `text` (UTF-8)."""
    return hashlib.md5(text.encode("utf-8")).hexdigest()  # noqa: S324 - the digest algorithm itself


def ha1(username: str, realm: str, password: str) -> str:
    """Return HA1 = md5(username:realm:password), the only secret the PBX and the harness keep."""
    return md5_hex(f"{username}:{realm}:{password}")


@dataclass(frozen=True)
class Challenge:
    """A parsed WWW-Authenticate / Proxy-Authenticate header."""

    realm: str
    nonce: str
    opaque: str | None = None
    qop: str | None = None
    algorithm: str = "MD5"
    proxy: bool = False

    @classmethod
    def parse(cls, value: str, *, proxy: bool = False) -> Challenge:
        """Parse `Digest realm="…", nonce="…", …`; raise ValueError when it is not a digest challenge."""
        scheme, _, rest = value.strip().partition(" ")
        if scheme.lower() != "digest":
            raise ValueError(f"not a digest challenge: {value!r}")
        params = {
            m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
            for m in _PARAM.finditer(rest)
        }
        if "realm" not in params or "nonce" not in params:
            raise ValueError(f"digest challenge without realm or nonce: {value!r}")
        qop = params.get("qop")
        if qop is not None:
            options = [q.strip() for q in qop.split(",")]
            qop = "auth" if "auth" in options else options[0]
        return cls(
            params["realm"], params["nonce"], params.get("opaque"), qop, params.get("algorithm", "MD5"), proxy
        )

    @property
    def reply_header(self) -> str:
        """Name of the header that answers this challenge."""
        return "Proxy-Authorization" if self.proxy else "Authorization"


def authorization(
    challenge: Challenge,
    *,
    username: str,
    ha1_hex: str,
    method: str,
    uri: str,
    nc: int = 1,
    cnonce: str | None = None,
) -> str:
    """Return the value of the Authorization header answering `challenge` for `method uri`."""
    ha2 = md5_hex(f"{method}:{uri}")
    parts = [
        f'username="{username}"',
        f'realm="{challenge.realm}"',
        f'nonce="{challenge.nonce}"',
        f'uri="{uri}"',
    ]
    if challenge.qop:
        cnonce = cnonce or secrets.token_hex(8)
        ncs = f"{nc:08x}"
        response = md5_hex(f"{ha1_hex}:{challenge.nonce}:{ncs}:{cnonce}:{challenge.qop}:{ha2}")
        parts += [f"qop={challenge.qop}", f"nc={ncs}", f'cnonce="{cnonce}"']
    else:
        response = md5_hex(f"{ha1_hex}:{challenge.nonce}:{ha2}")
    parts.append(f'response="{response}"')
    parts.append("algorithm=MD5")
    if challenge.opaque is not None:
        parts.append(f'opaque="{challenge.opaque}"')
    return "Digest " + ", ".join(parts)
