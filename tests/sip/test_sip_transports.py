"""UDP, TCP and TLS: the same registration and channel-limit checks on each listener; the TLS port
speaks only TLS, with this run's throwaway certificate."""

import asyncio
import os
import shutil
import stat
import subprocess

import pytest

from sip.checks import Target, check_tls_refuses_plain_tcp, run_checks
from sip.tls import files_in

pytestmark = pytest.mark.sip


@pytest.mark.parametrize("transport", ["tcp", "tls"])
def test_registration_and_channel_limits_over_streams(demo_pbx, transport):
    report = run_checks(Target.of(demo_pbx), groups=("registration", "channels"), transports=(transport,))
    names = [c.name for c in report.checks]
    assert (
        f"channel_limit[{transport}]:acme" in names and f"registration[{transport}]:alice@acme.demo" in names
    )
    assert report.passed, [(c.name, c.evidence) for c in report.checks if not c.passed]
    limit = next(c for c in report.checks if c.name == f"channel_limit[{transport}]:acme")
    assert "call 3 → 401→503 'Channel limit reached' X-Channel-Limit: 2" in limit.evidence


def test_plain_tcp_cannot_register_on_the_tls_port(demo_target):
    passed, evidence = asyncio.run(check_tls_refuses_plain_tcp(demo_target))
    assert passed, evidence
    assert "no SIP answer" in evidence or "refused or reset" in evidence


def test_a_ua_trusting_another_ca_is_refused(demo_pbx, tmp_path):
    """TLS verifies the PBX: a client with some other CA does not complete the handshake."""
    import ssl

    from sip import tls

    other = tls.generate(tmp_path, "127.0.0.1")
    target = Target.of(demo_pbx, "tls")
    bad = Target(target.host, target.port, target.fifo, target.inventory, "tls", target.tls_port, other.ca)
    with pytest.raises(ssl.SSLCertVerificationError):
        asyncio.run(bad.agent())


def test_openssl_s_client_handshakes_with_the_run_ca(demo_pbx):
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("openssl is not installed; install it with: apt-get install -y openssl", pytrace=False)
    files = files_in(demo_pbx.run_dir)
    r = subprocess.run(
        [
            openssl,
            "s_client",
            "-connect",
            f"127.0.0.1:{demo_pbx.settings.tls_port}",
            "-CAfile",
            str(files.ca),
            "-verify_return_error",
            "-verify_ip",
            "127.0.0.1",
            "-brief",
        ],
        input="",
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert r.returncode == 0, r.stderr
    assert "Verification: OK" in r.stderr and "Protocol version: TLSv1.3" in r.stderr


def test_tls_material_is_private_and_fresh_per_run(demo_pbx, pbx_factory, bench_inventory):
    files = files_in(demo_pbx.run_dir)
    for path in (files.ca, files.certificate, files.private_key, files.config):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
    other = pbx_factory(bench_inventory)
    try:
        assert files_in(other.run_dir).ca.read_bytes() != files.ca.read_bytes()
    finally:
        other.stop()
    config = (demo_pbx.run_dir / "kamailio.cfg").read_text()
    port = demo_pbx.settings.port
    assert f"listen=udp:127.0.0.1:{port}" in config and f"listen=tcp:127.0.0.1:{port}" in config
    assert f"listen=tls:127.0.0.1:{demo_pbx.settings.tls_port}" in config
