"""The API's description, public and offline: /api/openapi.json and a reference page made from it."""
import functools

from flask import Blueprint, jsonify, render_template

from village.api.openapi import document

bp = Blueprint("api_docs", __name__, url_prefix="/api")
METHODS = ("get", "post", "patch", "delete")


@functools.lru_cache(maxsize=1)
def _document():
    # The declarations it is made from are fixed while the program runs: made once.
    return document()


@bp.get("/openapi.json")
def openapi():
    """Answer the OpenAPI 3.1 document of the API."""
    return jsonify(_document())


def operations(doc):
    """Return [(tag, [(method, path, operation)])] of `doc`, in the order of its paths."""
    by_tag = {}
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                operation = item[method]
                params = [*item.get("parameters", ()), *operation.get("parameters", ())]
                tag = (operation.get("tags") or ["api"])[0]
                by_tag.setdefault(tag, []).append((method.upper(), path, operation, params))
    return list(by_tag.items())


@bp.get("/")
def reference():
    """Show the API reference: every operation with its parameters and answers, and every record's fields."""
    doc = _document()
    return render_template("api/reference.html", doc=doc, groups=operations(doc),
                           schemas=doc["components"]["schemas"])
