"""PouchDB's HTTP-to-HTTP replication of the same records (npm pouchdb-node 9, express-pouchdb 4.2, batch 500)."""
import json
import os
import shutil
import subprocess
from pathlib import Path

from nodes import free_port
from tests.faultproxy import FaultProxy

HERE = Path(__file__).resolve().parent


def install(work):
    """Install the pinned npm packages into `work` (once)."""
    if not (Path(work) / "node_modules" / "express-pouchdb").exists():
        Path(work).mkdir(parents=True, exist_ok=True)
        (Path(work) / "package.json").write_text((HERE / "package.json").read_text())
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=work, check=True)


def replicate(work, households, plots):
    """Replicate households + plots between two express-pouchdb servers; return rate and bytes per record."""
    install(work / "npm")
    # Both PouchDB databases start empty every run: left-over documents would make it look faster.
    shutil.rmtree(Path(work) / "pouch-db", ignore_errors=True)
    records = [{**h, "table": "households"} for h in households] + [{**p, "table": "plots"} for p in plots]
    data = Path(work) / "pouch-records.json"
    data.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    src, dst = free_port(), free_port()
    with FaultProxy(src) as via_src, FaultProxy(dst) as via_dst:
        proc = subprocess.run(["node", str(HERE / "pouchdb_replicate.js"), str(data), str(src), str(dst),
                               str(Path(work) / "pouch-db"), str(via_src.port), str(via_dst.port)],
                              env={**os.environ, "NODE_PATH": str(Path(work) / "npm" / "node_modules")},
                              capture_output=True, text=True, check=True, timeout=3600)
        wire = sum(p.counters["bytes_up"] + p.counters["bytes_down"] for p in (via_src, via_dst))
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"records": len(records), "replicated": result["docs"], "seconds": round(result["seconds"], 2),
            "records_per_s": round(len(records) / result["seconds"]), "bytes_per_record": round(wire / len(records), 1)}
