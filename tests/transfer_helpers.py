"""Helpers for the import and export tests: a village made by the CLI, CSV files to import."""
import csv

AREA = "52/5201/520102/001"


def init_village(runner):
    """Make `runner`'s data directory an English village node and return the runner."""
    result = runner("init", "--role", "village", "--name", "红星村", "--area", AREA, "--lang", "en")
    assert result.exit_code == 0, result.output
    return runner


def write_csv(path, header, rows, encoding="utf-8"):
    """Write a CSV file as a spreadsheet would save it; return its path as text."""
    with open(path, "w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)
