"""Serving a node: waitress for the pages and API."""
import waitress

from village import create_app


def run(node, host, port):
    """Serve `node` on host:port until stopped."""
    app = create_app({"NODE": node})
    print(f"Serving {node.name} at http://{host}:{port}/", flush=True)
    waitress.serve(app, host=host, port=port, threads=8, ident="village")
