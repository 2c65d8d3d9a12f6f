"""Digest computed from HA1: the RFC 2617 worked example, and challenge parsing."""

import pytest

from sip.digest import Challenge, authorization, ha1, md5_hex


def test_rfc2617_example_from_ha1():
    # RFC 2617 §3.5: Mufasa / "Circle Of Life" / testrealm@host.com.
    h = ha1("Mufasa", "testrealm@host.com", "Circle Of Life")
    ch = Challenge.parse(
        'Digest realm="testrealm@host.com", qop="auth,auth-int", '
        'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"'
    )
    value = authorization(
        ch, username="Mufasa", ha1_hex=h, method="GET", uri="/dir/index.html", nc=1, cnonce="0a4f113b"
    )
    assert 'response="6629fae49393a05397450978507c4ef1"' in value
    assert (
        "qop=auth" in value
        and "nc=00000001" in value
        and 'opaque="5ccc069c403ebaf9f0171e9517f40e41"' in value
    )


def test_without_qop_response_is_md5_of_ha1_nonce_ha2():
    ch = Challenge.parse('Digest realm="acme.test", nonce="abc"', proxy=True)
    value = authorization(ch, username="alice", ha1_hex="h" * 32, method="INVITE", uri="sip:bob@acme.test")
    expected = md5_hex("h" * 32 + ":abc:" + md5_hex("INVITE:sip:bob@acme.test"))
    assert f'response="{expected}"' in value and "qop" not in value
    assert ch.reply_header == "Proxy-Authorization"


@pytest.mark.parametrize("bad", ['Basic realm="x"', 'Digest nonce="n"', 'Digest realm="r"'])
def test_bad_challenges_are_rejected(bad):
    with pytest.raises(ValueError):
        Challenge.parse(bad)
