"""Serving a node: waitress for the pages and API, APScheduler for its jobs."""
import sys

import waitress

from village import create_app
from village.i18n import translations
from village.i18n_markers import N_

# Python runs one thread at a time: more threads only contend for it, and at ten
# clients 8 threads doubled the slowest pages' p95 against 4. Four still leave room for a slow
# request (a "sync now", an export) without stalling the kiosk.
THREADS = 4


def run(node, host, port):
    """Serve `node` on host:port until stopped, running its scheduled jobs unless another server does."""
    from village.scheduler import NodeScheduler

    app = create_app({"NODE": node})
    gettext = translations(node.lang).gettext
    jobs = NodeScheduler(node)
    if jobs.start():
        print(gettext(N_("Scheduled jobs (sync, backups) run in this server.")), flush=True)
    else:
        print(gettext(N_("Another server already runs the scheduled jobs of %(dir)s; this one only serves pages."))
              % {"dir": str(node.data_dir)}, file=sys.stderr, flush=True)
    print(f"Serving {node.name} at http://{host}:{port}/", flush=True)
    try:
        waitress.serve(app, host=host, port=port, threads=THREADS, ident="village")
    finally:
        jobs.shutdown()
