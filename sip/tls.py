"""A throwaway certificate authority and server certificate for one PBX run (TLS listener).

Generated afresh by every `pbx up` (EC P-256, valid one day), for the PBX's loopback address: the
harness trusts only this run's CA, so a certificate from another run never verifies. Private keys and
certificates are written mode 0600 into the run directory.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from contracts import atomic

CA_FILE = "tls-ca.pem"
CERT_FILE = "tls-server.pem"
KEY_FILE = "tls-server.key"
CONFIG_FILE = "tls.cfg"
VALID_FOR = dt.timedelta(days=1)


@dataclass(frozen=True)
class TlsFiles:
    """Where one run's TLS material lives."""

    ca: Path
    certificate: Path
    private_key: Path
    config: Path


def files_in(run_dir: Path) -> TlsFiles:
    """The TLS file names of `run_dir`."""
    return TlsFiles(run_dir / CA_FILE, run_dir / CERT_FILE, run_dir / KEY_FILE, run_dir / CONFIG_FILE)


def _name(common_name: str):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "centrex-lab test PBX"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def generate(run_dir: Path, host: str) -> TlsFiles:
    """Write a fresh CA, a server certificate for `host` signed by it, and Kamailio's tls.cfg."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("centrex-lab throwaway CA")
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + VALID_FOR)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    try:
        alt: list[x509.GeneralName] = [x509.IPAddress(ipaddress.ip_address(host))]
    except ValueError:
        alt = [x509.DNSName(host)]
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(host))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + VALID_FOR)
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    files = files_in(run_dir)
    pem = serialization.Encoding.PEM
    atomic.write_bytes(files.ca, ca.public_bytes(pem), mode=0o600)
    atomic.write_bytes(files.certificate, cert.public_bytes(pem), mode=0o600)
    atomic.write_bytes(
        files.private_key,
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        mode=0o600,
    )
    # Clients are not asked for certificates: SIP digest authenticates them, as over UDP and TCP.
    atomic.write_text(
        files.config,
        "[server:default]\nmethod = TLSv1.2+\nverify_certificate = no\nrequire_certificate = no\n"
        f"private_key = {files.private_key}\ncertificate = {files.certificate}\n\n"
        "[client:default]\nmethod = TLSv1.2+\nverify_certificate = no\nrequire_certificate = no\n",
        mode=0o600,
    )
    return files
