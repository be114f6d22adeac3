"""HTTPS on the village LAN: the node's own name-constrained CA and the server certificate it signs.

A tablet's browser gives a page a service worker, storage and WebCrypto only in a secure
context, which http://192.168.x.x is not. So each node makes, at `village init` (or `village tls
init`), a CA that X.509 name constraints limit to the node's own names and addresses: installed
on a tablet, it can vouch for this node and for nothing else on any network. The server
certificate it signs names the same hosts. A node may instead be given a real certificate
(settings tls_cert_file, tls_key_file), e.g. where a county has a domain.

Files in <data dir>/tls/: ca.pem (public, the tablets install it), ca.key, server.pem, server.key
(keys mode 0600).
"""
import datetime
import fcntl
import ipaddress
import socket
import struct
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from sync.files import write_private

TLS_DIR = "tls"
CA_DAYS = 10 * 365
# iOS refuses a certificate from a CA a user installed when it is valid for more than 825 days.
SERVER_DAYS = 800
RENEW_DAYS = 30  # `village tls init` renews a server certificate this close to its expiry
SIOCGIFADDR = 0x8915


@dataclass(frozen=True)
class CertInfo:
    """What a page or `village status` shows of the certificate the node serves."""

    source: str  # "node_ca" (made here) or "configured" (tls_cert_file)
    subject_names: tuple
    not_after: datetime.datetime
    ca_fingerprint: str  # SHA-256 of the CA a tablet installs, "" with a configured certificate

    @property
    def days_left(self):
        """Return the whole days until the certificate expires (negative once it has)."""
        return (self.not_after - datetime.datetime.now(datetime.timezone.utc)).days


def tls_dir(node):
    """Return the folder of the node's TLS files."""
    return Path(node.data_dir) / TLS_DIR


def lan_addresses():
    """Return the IPv4 addresses of this machine's network interfaces (loopback excluded)."""
    found = set()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        for _index, name in socket.if_nameindex():
            try:
                packed = fcntl.ioctl(probe.fileno(), SIOCGIFADDR, struct.pack("256s", name.encode()[:15]))
            except OSError:
                continue  # an interface with no IPv4 address
            address = ipaddress.ip_address(packed[20:24])
            if not address.is_loopback:
                found.add(str(address))
    return sorted(found)


def node_names(node):
    """Return (DNS names, IP addresses) the node is reached by: its host name, .local, LAN IPs, tls_names."""
    host = socket.gethostname().split(".")[0].lower()
    names, addresses = [host, f"{host}.local", "localhost"], ["127.0.0.1", *lan_addresses()]
    for extra in (node.setting("tls_names") or "").split(","):
        extra = extra.strip().lower()
        if not extra:
            continue
        try:
            addresses.append(str(ipaddress.ip_address(extra)))
        except ValueError:
            names.append(extra)
    return list(dict.fromkeys(names)), list(dict.fromkeys(addresses))


def _alt_names(names, addresses):
    return [x509.DNSName(n) for n in names] + [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]


def _write_key(path, key):
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    write_private(path, [pem])


def make_ca(node, names, addresses):
    """Make and store the node's CA, limited by name constraints to `names` and `addresses`; return (cert, key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, node.name),
                         x509.NameAttribute(NameOID.COMMON_NAME, f"{node.name} ({node.area}) village CA")])
    now = datetime.datetime.now(datetime.timezone.utc)
    permitted = [x509.DNSName(n) for n in names] + [
        x509.IPAddress(ipaddress.ip_network(f"{a}/32")) for a in addresses]
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.NameConstraints(permitted_subtrees=permitted, excluded_subtrees=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    folder = tls_dir(node)
    folder.mkdir(mode=0o700, exist_ok=True)
    _write_key(folder / "ca.key", key)
    write_private(folder / "ca.pem", [cert.public_bytes(serialization.Encoding.PEM)])
    return cert, key


def make_server_cert(node, ca_cert, ca_key, names, addresses):
    """Make and store the server certificate for `names` and `addresses`, signed by the node's CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=SERVER_DAYS))
            .add_extension(x509.SubjectAlternativeName(_alt_names(names, addresses)), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    folder = tls_dir(node)
    _write_key(folder / "server.key", key)
    write_private(folder / "server.pem", [cert.public_bytes(serialization.Encoding.PEM)
                                          + ca_cert.public_bytes(serialization.Encoding.PEM)])
    return cert


def _load_ca(node):
    folder = tls_dir(node)
    try:
        cert = x509.load_pem_x509_certificate((folder / "ca.pem").read_bytes())
        key = serialization.load_pem_private_key((folder / "ca.key").read_bytes(), password=None)
    except FileNotFoundError:
        return None
    return cert, key


def _ca_covers(ca_cert, names, addresses):
    constraints = ca_cert.extensions.get_extension_for_class(x509.NameConstraints).value
    permitted = {getattr(s, "value", None) for s in constraints.permitted_subtrees}
    return set(names) <= permitted and {ipaddress.ip_network(f"{a}/32") for a in addresses} <= permitted


def init_tls(node, new_ca=False):
    """Make the node's CA (unless it has one that covers its names) and a fresh server certificate.

    Return (CertInfo, made_ca). A CA is made again only when asked or when the node's names or
    addresses have changed beyond what it may vouch for: every tablet must then install it again.
    """
    names, addresses = node_names(node)
    held = None if new_ca else _load_ca(node)
    made_ca = held is None or not _ca_covers(held[0], names, addresses)
    ca_cert, ca_key = make_ca(node, names, addresses) if made_ca else held
    make_server_cert(node, ca_cert, ca_key, names, addresses)
    return cert_info(node), made_ca


def needs_renewal(node):
    """Return True when the node's own server certificate is missing, expires within RENEW_DAYS,
    or does not name every name and address the node has now (a new LAN address, a new tls_names)."""
    if node.setting("tls_cert_file"):
        return False
    info = cert_info(node)
    names, addresses = node_names(node)
    return info is None or info.days_left < RENEW_DAYS or not set(names + addresses) <= set(info.subject_names)


def served_files(node):
    """Return (certificate chain file, key file) the node serves HTTPS with, or None when it has none."""
    cert, key = node.setting("tls_cert_file"), node.setting("tls_key_file")
    if cert:
        return Path(cert), Path(key or cert)
    folder = tls_dir(node)
    return (folder / "server.pem", folder / "server.key") if (folder / "server.pem").exists() else None


def ca_pem(node):
    """Return the PEM bytes of the node's own CA (what a tablet installs), or None."""
    path = tls_dir(node) / "ca.pem"
    return path.read_bytes() if path.exists() and not node.setting("tls_cert_file") else None


def cert_info(node):
    """Return the CertInfo of the certificate the node serves, or None when it has none (or it is unreadable)."""
    files = served_files(node)
    if files is None:
        return None
    try:
        cert = x509.load_pem_x509_certificates(files[0].read_bytes())[0]
    except (OSError, ValueError):
        return None
    try:
        alt = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = tuple(str(n.value) for n in alt)
    except x509.ExtensionNotFound:
        names = ()
    ca = ca_pem(node)
    fingerprint = x509.load_pem_x509_certificate(ca).fingerprint(hashes.SHA256()).hex(":").upper() if ca else ""
    return CertInfo("configured" if node.setting("tls_cert_file") else "node_ca", names,
                    cert.not_valid_after_utc, fingerprint)


def server_context(node):
    """Return an ssl.SSLContext serving the node's certificate (TLS 1.2 or later), or None when it has none."""
    import ssl

    files = served_files(node)
    if files is None:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(files[0]), str(files[1]))
    return context
