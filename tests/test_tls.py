"""HTTPS on the village LAN: the node's name-constrained CA, its server certificate, serving, the pages."""
import datetime
import ipaddress

import pytest
import requests
from clerk_helpers import login
from conftest import Village, free_port
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from village import create_app
from village.ops.https import HttpsServer
from village.tls import cert_info, init_tls, tls_dir


@pytest.fixture
def lan_node(node, monkeypatch):
    """A village node that also answers to village.lan, with its CA and server certificate."""
    monkeypatch.setenv("VILLAGE_TLS_NAMES", "village.lan")
    init_tls(node)
    return node


def _load(node):
    folder = tls_dir(node)
    ca = x509.load_pem_x509_certificate((folder / "ca.pem").read_bytes())
    key = serialization.load_pem_private_key((folder / "ca.key").read_bytes(), None)
    chain = x509.load_pem_x509_certificates((folder / "server.pem").read_bytes())
    return ca, key, chain


def _verify(ca, cert, name):
    now = datetime.datetime.now(datetime.timezone.utc)
    subject = x509.DNSName(name) if not name[0].isdigit() else x509.IPAddress(ipaddress.ip_address(name))
    verifier = PolicyBuilder().store(Store([ca])).time(now).build_server_verifier(subject)
    return verifier.verify(cert, [])


def _forged(ca, ca_key, name):
    """A certificate for `name` signed with the node's CA key: what a thief of the key could make."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(ca.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False)
            .sign(ca_key, hashes.SHA256()))


def test_server_certificate_verifies_for_the_nodes_names(lan_node):
    ca, _key, chain = _load(lan_node)
    for name in ("village.lan", "localhost", "127.0.0.1"):
        assert _verify(ca, chain[0], name)
    with pytest.raises(VerificationError):
        _verify(ca, chain[0], "bank.example.com")


def test_the_ca_cannot_vouch_for_any_other_name(lan_node):
    # The CA is installed on tablets: were its key stolen, a certificate for another site must still fail.
    ca, key, _chain = _load(lan_node)
    assert _verify(ca, _forged(ca, key, "village.lan"), "village.lan")
    with pytest.raises(VerificationError):
        _verify(ca, _forged(ca, key, "bank.example.com"), "bank.example.com")
    constraints = ca.extensions.get_extension_for_class(x509.NameConstraints)
    assert constraints.critical and x509.DNSName("village.lan") in constraints.value.permitted_subtrees


def test_village_init_makes_the_ca_and_tls_init_keeps_it(tmp_path):
    data = tmp_path / "v"
    made = Village(data)("init", "--role", "village", "--name", "村", "--area", "52/5201/520102/001", "--lang", "en")
    assert made.exit_code == 0 and "valid until" in made.output
    ca_before = (data / "tls" / "ca.pem").read_bytes()
    server_before = (data / "tls" / "server.pem").read_bytes()
    renewed = Village(data)("tls", "init")
    assert renewed.exit_code == 0 and "new CA" not in renewed.output
    assert (data / "tls" / "ca.pem").read_bytes() == ca_before
    assert (data / "tls" / "server.pem").read_bytes() != server_before
    fresh = Village(data)("tls", "init", "--new-ca")
    assert "new CA" in fresh.output and (data / "tls" / "ca.pem").read_bytes() != ca_before
    assert oct((data / "tls" / "ca.key").stat().st_mode & 0o777) == "0o600"


def test_https_is_served_with_the_nodes_certificate(lan_node, monkeypatch):
    monkeypatch.setenv("VILLAGE_HTTPS_PORT", str(free_port()))
    server = HttpsServer(create_app({"NODE": lan_node, "TESTING": True}), lan_node, "127.0.0.1",
                         lan_node.setting("https_port"))
    try:
        url = f"https://localhost:{server.port}/sync/ping"
        ca = str(tls_dir(lan_node) / "ca.pem")
        assert requests.get(url, verify=ca, timeout=10).json()["ok"] is True
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(url, timeout=10)  # the system's store does not know the node's CA
    finally:
        server.stop()


def test_a_configured_certificate_replaces_the_nodes_own(lan_node, monkeypatch, client):
    folder = tls_dir(lan_node)
    monkeypatch.setenv("VILLAGE_TLS_CERT_FILE", str(folder / "server.pem"))
    monkeypatch.setenv("VILLAGE_TLS_KEY_FILE", str(folder / "server.key"))
    assert cert_info(lan_node).source == "configured" and cert_info(lan_node).ca_fingerprint == ""
    assert client.get("/field/ca.crt").status_code == 404  # no CA to install: a real certificate needs none


def test_ca_download_is_public_and_is_the_ca(lan_node, client):
    answer = client.get("/field/ca.crt")
    assert answer.status_code == 200 and answer.mimetype == "application/x-x509-ca-cert"
    assert answer.data == (tls_dir(lan_node) / "ca.pem").read_bytes()
    assert b"PRIVATE" not in answer.data


def test_sync_page_shows_the_certificates_expiry(lan_node, clerk):
    page = clerk.get("/clerk/sync").get_data(as_text=True)
    expires = cert_info(lan_node).not_after
    assert 'id="tls-expiry"' in page and str(expires.year) in page and "problem" not in page.split('id="tls-expiry"')[1][:30]


def test_sync_page_says_when_there_is_no_certificate(node, clerk):
    page = clerk.get("/clerk/sync").get_data(as_text=True)
    assert 'id="tls-expiry" class="problem"' in page and "village tls init" in page


def test_tablets_page_adds_shows_the_code_once_and_revokes(lan_node, clerk, db):
    page = clerk.post("/clerk/tablets", data={"name": "Tablet 3"}).get_data(as_text=True)
    code = page.split('id="enroll-code">')[1].split("<")[0]
    assert len(code) == 14 and "<svg" in page and f"#enroll={code}" not in page.split("<svg")[0]
    tablet_id = db.execute("SELECT node_id FROM nodes WHERE kind = 'tablet'").fetchone()[0]
    assert code not in clerk.get("/clerk/tablets").get_data(as_text=True)  # shown once: the node keeps a hash
    clerk.post(f"/clerk/tablets/{tablet_id}/revoke")
    assert db.execute("SELECT revoked_at FROM nodes").fetchone()[0] is not None
    assert clerk.post("/clerk/tablets/nosuch/revoke").status_code == 404


def test_tablets_page_refuses_a_blank_name_and_adds_nothing(lan_node, clerk, db):
    answer = clerk.post("/clerk/tablets", data={"name": "   "})
    assert answer.status_code == 400 and 'aria-invalid="true"' in answer.get_data(as_text=True)
    assert db.execute("SELECT COUNT(*) FROM nodes").fetchone()[0] == 0


def test_field_home_carries_the_not_secure_banner_hidden_until_checked(lan_node, open_app, users):
    client = open_app.test_client()
    login(client, "field1")
    page = client.get("/field/").get_data(as_text=True)
    assert 'id="insecure-banner"' in page and "hidden" in page.split('id="insecure-banner"')[1][:80]
    assert "field/secure.js" in page
