"""SIP message parsing and building."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rb_harness import budget

from sip.message import SipMessage, SipParseError, request, response_to, split_values, tag_of, uri_of

INVITE = (
    b"INVITE sip:bob@acme.test SIP/2.0\r\n"
    b"v: SIP/2.0/UDP 127.0.0.1:5000;branch=z9hG4bKabc;rport\r\n"
    b"Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKdef\r\n"
    b'f: "Alice" <sip:alice@acme.test>;tag=123\r\n'
    b"t: <sip:bob@acme.test>\r\n"
    b"i: call-1@host\r\n"
    b"CSeq: 2 INVITE\r\n"
    b"Record-Route: <sip:127.0.0.1:5070;lr;ftag=123>, <sip:10.0.0.2;lr>\r\n"
    b"l: 3\r\n\r\nv=0trailing"
)


def test_parse_compact_forms_and_body_length():
    msg = SipMessage.parse(INVITE)
    assert msg.is_request and msg.method == "INVITE" and msg.uri == "sip:bob@acme.test"
    assert msg.branch == "z9hG4bKabc"
    assert msg.call_id == "call-1@host" and msg.cseq == (2, "INVITE")
    assert tag_of(msg.get("From")) == "123" and tag_of(msg.get("To")) is None
    assert msg.get_all("Record-Route") == ["<sip:127.0.0.1:5070;lr;ftag=123>", "<sip:10.0.0.2;lr>"]
    assert msg.body == b"v=0"


def test_response_copies_dialog_headers_and_adds_to_tag():
    req = SipMessage.parse(INVITE)
    resp = SipMessage.parse(response_to(req, 200, "OK", to_tag="xyz").encode())
    assert resp.code == 200 and resp.reason == "OK" and resp.method == "INVITE"
    assert tag_of(resp.get("To")) == "xyz" and len(resp.get_all("Via")) == 2
    assert resp.get_all("Record-Route") == req.get_all("Record-Route")


def test_not_sip_is_rejected():
    with pytest.raises(SipParseError):
        SipMessage.parse(b"GET / HTTP/1.1\r\n\r\n")


def test_uri_and_split_helpers():
    assert uri_of('"Bob, Jr" <sip:bob@x;transport=udp>;tag=1') == "sip:bob@x;transport=udp"
    assert split_values('"a,b" <sip:x>, <sip:y,z>') == ['"a,b" <sip:x>', "<sip:y,z>"]


token = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-.", min_size=1, max_size=12)


@settings(max_examples=budget(60), deadline=None)
@given(
    method=st.sampled_from(["REGISTER", "INVITE", "BYE", "OPTIONS"]),
    user=token,
    call_id=token,
    cseq=st.integers(1, 2**31 - 1),
    body=st.binary(max_size=200),
)
def test_encode_parse_round_trip(method, user, call_id, cseq, body):
    req = request(
        method,
        f"sip:{user}@acme.test",
        [
            ("Via", "SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bK1"),
            ("Call-ID", call_id),
            ("CSeq", f"{cseq} {method}"),
        ],
        body,
    )
    back = SipMessage.parse(req.encode())
    assert (back.method, back.uri, back.call_id, back.cseq, back.body) == (
        method,
        f"sip:{user}@acme.test",
        call_id,
        (cseq, method),
        body,
    )
