"""HTTPS for the tablets on the LAN: cheroot's WSGI server with its builtin TLS adapter (Python's ssl).

cheroot (CherryPy's well-kept server, which serves HTTP too, `village.ops.serve`) is a pure-Python
thread pool whose builtin adapter wraps each accepted connection with Python's own `ssl` module
(OpenSSL), with the handshake done in the worker thread, so a slow tablet never holds the others
up. It runs in the first serving process of `village serve`, beside its HTTP server and taking
turns with it; tablets, which send a few requests a minute, get HTTPS on `https_port`.
"""
import logging
import ssl
import threading

from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter

from village.errors import Problem
from village.tls import needs_renewal, init_tls, served_files

THREADS = 4
log = logging.getLogger("village.https")


class HttpsServer:
    """The node's app served over HTTPS on (host, port) in a background thread, until `stop()`."""

    def __init__(self, app, node, host, port, warn=print):
        if needs_renewal(node):  # a node made before HTTPS, a new address, a certificate about to expire
            if init_tls(node)[1]:
                warn("The node has new names or addresses, so it made a new CA: install it on each tablet again "
                     "(clerk pages, Tablets). Give the node a fixed address (tls_names) to avoid this.")
        cert, key = served_files(node)
        try:
            adapter = BuiltinSSLAdapter(str(cert), str(key))
        except (OSError, ssl.SSLError, ValueError) as exc:
            raise Problem("tls.bad_files", error=str(exc)) from None
        self.server = wsgi.Server((host, port), app, numthreads=THREADS, server_name="village")
        self.server.ssl_adapter = adapter
        self.server.prepare()  # binds now: a port in use is said at start, not in a thread
        self.port = self.server.bind_addr[1]
        self.thread = threading.Thread(target=self.server.serve, name="https", daemon=True)
        self.thread.start()

    def stop(self):
        """Stop serving and wait for the threads."""
        self.server.stop()


def start_https(app, node, host, warn=print):
    """Return a running HttpsServer for `node` on its `https_port` setting, or None when that is 0.

    A port in use (another node on this machine) or unusable certificate files cost the tablets
    their HTTPS, not the kiosk its pages: said through `warn`, and HTTP goes on.
    """
    port = node.setting("https_port")
    if not port:
        return None
    try:
        return HttpsServer(app, node, host, port, warn)
    except (OSError, Problem) as exc:
        warn(f"HTTPS for tablets is off: port {port}: {getattr(exc, 'code', '')} {exc}")
        return None
