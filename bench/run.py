"""`make bench`: every SPEC 8 measurement in one run; writes bench/results.json and docs/benchmarks.md."""
import datetime
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from api_bench import api  # noqa: E402
from county_bench import county_pages  # noqa: E402
from dataset import farm_records  # noqa: E402
from field_bench import field  # noqa: E402
from hub_bench import hubs  # noqa: E402
from pages_bench import pages  # noqa: E402
from pouch import replicate  # noqa: E402
from raw_sqlite import raw_insert_rate  # noqa: E402
from report import write_report  # noqa: E402
from speech_bench import on_one_core as speech_on_one_core  # noqa: E402
from sync_bench import county_load, lossy, push  # noqa: E402

AREA = "52/5201/520102/001"


def machine():
    """Return the facts of this machine for the report."""
    mem = next(line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(int(mem.split()[1]) / 1024 ** 2, 1),
            "python": platform.python_version(), "sqlite": __import__("sqlite3").sqlite_version,
            "date": datetime.date.today().isoformat()}


def step(name, func, *args):
    # Each measurement starts on a quiet machine: the writes of the one before flushed to disk.
    os.sync()
    time.sleep(2)
    print(f"== {name}", flush=True)
    result = func(*args)
    print(json.dumps(result, ensure_ascii=False), flush=True)
    return result


def main():
    keep = HERE / "work"
    work = Path(tempfile.mkdtemp(prefix="run-", dir=keep if keep.exists() else None))
    hh, plots = farm_records(10_000, 4, AREA)
    results = {"machine": machine()}
    results["raw_sqlite"] = {"records_per_s": round(step("raw SQLite", raw_insert_rate, work / "raw.db", hh, plots))}
    results["push"] = step("sync push", push, work)
    results["pouchdb"] = step("PouchDB", replicate, keep, hh, plots)
    results["lossy"] = step("lossy 2G link", lossy, work)
    page_results, memory = step("pages at 100,000 households", pages, keep)
    results["pages"], results["memory"] = page_results, memory
    results["api"] = step("JSON API at 100,000 households", api, keep)  # the pages' village, built once
    results["county_load"] = step("county under load", county_load, work)
    results["county_pages"] = step("county pages at 200 villages, 1,000,000 records", county_pages, work)
    results["speech"] = step("kiosk speech on one core", speech_on_one_core)
    results["hub"] = step("county hub on SQLite and on PostgreSQL side by side, villages at once", hubs, work)
    results["field"] = step("field app: shell size, opening offline on a 4x slower CPU, 1,000 visits synced", field, work)
    (HERE / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    write_report(results, HERE.parent / "docs" / "benchmarks.md")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
