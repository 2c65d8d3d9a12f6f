"""SIP messages: parse and build the text format (RFC 3261 §7), enough for a test user agent."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

# RFC 3261 §7.3.3 compact forms.
_COMPACT = {
    "v": "via",
    "f": "from",
    "t": "to",
    "i": "call-id",
    "m": "contact",
    "l": "content-length",
    "c": "content-type",
    "k": "supported",
    "s": "subject",
    "e": "content-encoding",
}
_TAG = re.compile(r";\s*tag=([^;>\s,]+)", re.IGNORECASE)
_URI_IN_BRACKETS = re.compile(r"<([^>]*)>")


# Headers whose commas are not value separators (digest parameters, product tokens, dates).
_UNSPLIT = frozenset(
    (
        "www-authenticate",
        "proxy-authenticate",
        "authorization",
        "proxy-authorization",
        "user-agent",
        "server",
        "date",
    )
)


class SipParseError(ValueError):
    """The bytes are not a SIP message this agent can read."""


def new_branch() -> str:
    """Return a fresh RFC 3261 branch (magic cookie prefix)."""
    return "z9hG4bK" + secrets.token_hex(10)


def new_tag() -> str:
    """Return a fresh From/To tag."""
    return secrets.token_hex(6)


def new_call_id(host: str) -> str:
    """Return a fresh Call-ID."""
    return f"{secrets.token_hex(12)}@{host}"


def header_key(name: str) -> str:
    """Return the case-insensitive key of a header name (compact forms expanded)."""
    low = name.strip().lower()
    return _COMPACT.get(low, low)


def split_values(value: str) -> list[str]:
    """Split a comma-separated header value, ignoring commas inside <…> and quotes."""
    if "," not in value:
        return [value.strip()] if value.strip() else []
    out, depth, quoted, cur = [], 0, False, []
    for ch in value:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "<":
            depth += 1
        elif not quoted and ch == ">":
            depth -= 1
        if ch == "," and depth == 0 and not quoted:
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    if "".join(cur).strip():
        out.append("".join(cur).strip())
    return out


def tag_of(value: str | None) -> str | None:
    """Return the tag parameter of a From/To value (outside the URI), or None."""
    if not value:
        return None
    outside = _URI_IN_BRACKETS.sub("", value)
    m = _TAG.search(outside)
    return m.group(1) if m else None


def uri_of(value: str) -> str:
    """Return the URI of a name-addr (`"x" <sip:…>;p`) or addr-spec value."""
    m = _URI_IN_BRACKETS.search(value)
    return m.group(1) if m else value.split(";")[0].strip()


@dataclass
class SipMessage:
    """One SIP request or response; headers keep their order and repeats."""

    start: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    @property
    def is_request(self) -> bool:
        """True for a request, False for a response."""
        return not self.start.startswith("SIP/2.0 ")

    @property
    def method(self) -> str:
        """The request method (for a response: the CSeq method)."""
        if self.is_request:
            return self.start.split(" ", 1)[0]
        return self.cseq[1]

    @property
    def uri(self) -> str:
        """The Request-URI of a request."""
        return self.start.split(" ")[1]

    @property
    def code(self) -> int:
        """The status code of a response."""
        return int(self.start.split(" ")[1])

    @property
    def reason(self) -> str:
        """The reason phrase of a response."""
        parts = self.start.split(" ", 2)
        return parts[2] if len(parts) > 2 else ""

    @property
    def cseq(self) -> tuple[int, str]:
        """(number, method) of the CSeq header."""
        num, method = self.get("CSeq", "").split()
        return int(num), method

    @property
    def call_id(self) -> str:
        """The Call-ID."""
        return self.get("Call-ID", "")

    @property
    def branch(self) -> str | None:
        """The branch of the top Via."""
        via = self.get("Via")
        if via is None:
            return None
        m = re.search(r";\s*branch=([^;,\s]+)", via, re.IGNORECASE)
        return m.group(1) if m else None

    def get(self, name: str, default: str | None = None) -> str | None:
        """Return the first value of header `name` (first element when comma-joined Via)."""
        values = self.get_all(name)
        return values[0] if values else default

    def get_all(self, name: str) -> list[str]:
        """Return every value of header `name`, comma-joined values split (except auth headers)."""
        key = header_key(name)
        raw = self._by_key().get(key)
        if not raw:
            return []
        if key in _UNSPLIT:
            return list(raw)
        out: list[str] = []
        for v in raw:
            out.extend(split_values(v))
        return out

    def _by_key(self) -> dict[str, list[str]]:
        """Header values by key, built once per message (a load client reads each response's few
        headers many times); `set` and `headers` edits through this class rebuild it."""
        cached = self.__dict__.get("_index")
        if cached is None or cached[0] is not self.headers or cached[1] != len(self.headers):
            index: dict[str, list[str]] = {}
            for n, v in self.headers:
                index.setdefault(header_key(n), []).append(v)
            cached = (self.headers, len(self.headers), index)
            self.__dict__["_index"] = cached
        return cached[2]

    def set(self, name: str, value: str) -> None:
        """Replace every `name` header by one with `value` (appended when absent)."""
        key = header_key(name)
        for i, (n, _) in enumerate(self.headers):
            if header_key(n) == key:
                self.headers[i] = (name, value)
                self.headers = [h for j, h in enumerate(self.headers) if j <= i or header_key(h[0]) != key]
                self.__dict__.pop("_index", None)
                return
        self.headers.append((name, value))
        self.__dict__.pop("_index", None)

    def encode(self) -> bytes:
        """Return the wire form, with Content-Length set to the body's length."""
        lines = [self.start]
        lines += [f"{n}: {v}" for n, v in self.headers if header_key(n) != "content-length"]
        lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + self.body

    @classmethod
    def parse(cls, data: bytes) -> SipMessage:
        """Parse one datagram; SipParseError when it is not SIP."""
        head, sep, body = data.partition(b"\r\n\r\n")
        if not sep:
            head, sep, body = data.partition(b"\n\n")
        try:
            text = head.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SipParseError("not UTF-8") from exc
        lines = text.replace("\r\n", "\n").split("\n")
        start = lines[0].strip()
        if not (start.startswith("SIP/2.0 ") or start.endswith(" SIP/2.0")):
            raise SipParseError(f"not a SIP start line: {start[:60]!r}")
        headers: list[tuple[str, str]] = []
        for line in lines[1:]:
            if line[:1] in (" ", "\t") and headers:  # folded continuation line
                n, v = headers[-1]
                headers[-1] = (n, v + " " + line.strip())
                continue
            name, colon, value = line.partition(":")
            if not colon:
                raise SipParseError(f"bad header line {line[:60]!r}")
            headers.append((name.strip(), value.strip()))
        msg = cls(start, headers, body)
        length = msg.get("Content-Length")
        if length is not None and length.isdigit():
            msg.body = body[: int(length)]
        return msg


def request(method: str, uri: str, headers: list[tuple[str, str]], body: bytes = b"") -> SipMessage:
    """Build a request."""
    return SipMessage(f"{method} {uri} SIP/2.0", list(headers), body)


def response_to(
    req: SipMessage,
    code: int,
    reason: str,
    *,
    to_tag: str | None = None,
    extra: list[tuple[str, str]] | None = None,
    body: bytes = b"",
) -> SipMessage:
    """Build a response to `req` (RFC 3261 §8.2.6: Via, From, To, Call-ID, CSeq copied; To tag added)."""
    headers: list[tuple[str, str]] = [("Via", v) for v in req.get_all("Via")]
    headers.append(("From", req.get("From", "")))
    to = req.get("To", "")
    if to_tag and tag_of(to) is None:
        to = f"{to};tag={to_tag}"
    headers.append(("To", to))
    headers.append(("Call-ID", req.call_id))
    headers.append(("CSeq", req.get("CSeq", "")))
    if code < 300 and 100 < code:
        headers += [("Record-Route", rr) for rr in req.get_all("Record-Route")]
    headers += extra or []
    return SipMessage(f"SIP/2.0 {code} {reason}", headers, body)
