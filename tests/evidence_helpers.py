"""Helpers of the evidence-file tests: real files (PDF, pictures), a monitoring case, attach."""
import io
import os

from village.records import core, evidence

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def picture(fmt="JPEG", size=(64, 48), noise=False):
    """Return the bytes of a real picture (with noise, it does not compress: a large file)."""
    from PIL import Image

    if noise:
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, (200, 80, 30))
    out = io.BytesIO()
    image.save(out, fmt, **({"quality": 95} if fmt == "JPEG" else {}))
    return out.getvalue()


def big_pdf(size):
    """Return a PDF-looking file of `size` bytes that no other test makes (random body)."""
    return PDF + os.urandom(size - len(PDF))


def new_case(db, node, code="H1"):
    """Create a household and a monitoring case on it; return the case's id."""
    with core.write(db, node) as writer:
        hh = core.save(writer, node, "households", {"code": code, "head_name": "王芳"})
        return core.save(writer, node, "monitor_cases", {"household_id": hh, "channel": "self_report",
                                                         "lead_on": "2026-05-01"})


def attach(db, node, case_id, data, kind="consent_scan", mime="application/pdf", name=None):
    """Keep `data` as evidence of case `case_id`; return the attachments record's id."""
    with core.write(db, node) as writer:
        return evidence.attach(writer, node, "monitor_cases", case_id, kind, data, name or f"{kind}.pdf", mime)


def files_at(node):
    """Return every file under the node's blob store (blobs and parts), by name."""
    root = node.data_dir / evidence.FILES_DIR
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []
