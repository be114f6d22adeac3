"""An https hub's certificate is verified: refused when unknown, accepted with hub_ca_file."""
import datetime
import ipaddress
import json
import threading

import pytest
from conftest import Village
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sync_helpers import add_households, assert_same
from werkzeug.serving import make_server

from village import create_app


def _self_signed(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "hub.pem", tmp_path / "hub.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@pytest.mark.usefixtures("hub_engine")  # on a SQLite and a PostgreSQL hub
def test_https_hub_certificate_is_verified(make_node, tmp_path, monkeypatch):
    hub, hub_db = make_node(role="county", area="52/5201/520102")
    village, db = make_node()
    cert_file, key_file = _self_signed(tmp_path)
    server = make_server("127.0.0.1", 0, create_app({"NODE": hub, "TESTING": True}), threaded=True,
                         ssl_context=(str(cert_file), str(key_file)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"https://127.0.0.1:{server.server_port}"
        code = json.loads(Village(hub.data_dir)("node", "add", "--name", "村", "--area", village.area, "--json").output)["code"]
        refused = Village(village.data_dir)("enroll", "--hub", url, "--code", code)
        assert refused.exit_code == 1 and "certificate" in refused.output
        monkeypatch.setenv("VILLAGE_HUB_CA_FILE", str(cert_file))
        enrolled = Village(village.data_dir)("enroll", "--hub", url, "--code", code)
        assert enrolled.exit_code == 0, enrolled.output
        add_households(db, village, 3)
        result = Village(village.data_dir)("sync")
        assert result.exit_code == 0, result.output
        assert assert_same(db, hub_db, village.area) == 6
    finally:
        server.shutdown()
