"""The field app (/field/): its shell, service worker, manifest, forms and words, public and cached on tablets;
the worker's JSON under /field/api/ (who is logged in, their password checked again).

Records travel over the sync protocol (/sync/, the tablet's own credentials), not here.
"""
import json

from flask import Blueprint, Response, current_app, g, jsonify, render_template, request, url_for
from flask_wtf.csrf import generate_csrf

from sync.clock import wall_ms
from village.errors import Problem
from village.field import assets
from village.settings import LANGUAGES, RTL_LANGUAGES
from village.users import check_password, roles_for
from village.web import throttle
from village.web.auth import client_ip, role_required
from village.web.db import get_db

bp = Blueprint("field", __name__, url_prefix="/field")
FIELD_ROLES = roles_for("field")
SHELL_FILES = ("app.css", "app.js")
ICONS = (192, 512)


def _node():
    return current_app.config["NODE"]


def _static(path):
    return url_for("static", filename=path, v=assets.static_hashes()[path])


def _json(data):
    return Response(data, mimetype="application/json")


@bp.get("/")
def home():
    """Serve the app's shell: no record and no user in it, so the service worker can keep it offline."""
    node = _node()
    return render_template("field/shell.html", static=_static, node_lang=node.lang, languages=LANGUAGES,
                           rtl_languages=RTL_LANGUAGES, script=_script())


def _script():
    return url_for("field.script", v=assets.app_module()[1])


@bp.get("/app.js")
def script():
    """Serve the app's modules joined into one (one request and one compile when the tablet opens the app)."""
    body, digest = assets.app_module()
    # Its address carries its content hash: a changed app is a new address, so this one may be kept for good.
    immutable = request.args.get("v") == digest
    return Response(body, mimetype="text/javascript",
                    headers={"Cache-Control": "public, max-age=31536000, immutable" if immutable else "no-cache"})


@bp.get("/sw.js")
def worker():
    """Serve the service worker, with its version and the list of files it keeps offline."""
    precache = [url_for("field.home"), url_for("field.manifest"), url_for("field.forms")]
    precache += [url_for("field.words", lang=lang) for lang in LANGUAGES]
    precache += [_script()] + [_static(path) for path in assets.static_hashes() if not path.endswith(".js")]
    precache += [_static(assets.SECURE)]
    body = render_template("field/sw.js", version=assets.version(_node()), precache=json.dumps(precache),
                           kill=bool(_node().setting("field_kill_switch")))
    # The browser checks for a new worker at each visit; never from an HTTP cache.
    return Response(body, mimetype="text/javascript", headers={"Cache-Control": "no-cache"})


@bp.get("/manifest.webmanifest")
def manifest():
    """Serve the manifest that makes the app installable (name, icons, start page, portrait)."""
    body = {"name": f"{_node().name}", "short_name": _node().name[:12], "start_url": url_for("field.home"),
            "scope": url_for("field.home"), "display": "standalone", "orientation": "portrait",
            "background_color": "#ffffff", "theme_color": "#14532d",
            "icons": [{"src": _static(f"field/app/icon-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png"}
                      for size in ICONS]}
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")


@bp.get("/forms.json")
def forms():
    """Serve the description of every form, drawn from the record declarations."""
    return _json(assets.forms_json())


@bp.get("/words/<lang>.json")
def words(lang):
    """Serve the app's words in `lang`."""
    if lang not in LANGUAGES:
        raise Problem("not_found")
    return _json(assets.words_json(lang))


@bp.get("/api/me")
@role_required(*FIELD_ROLES)
def me():
    """Tell the app who is logged in online, with the node's time, the CSRF token and the app's limits."""
    node = _node()
    limits = {name: node.setting(f"field_{name}") for name in
              ("offline_days", "idle_minutes", "unlock_attempts", "pbkdf2_iterations", "kill_switch")}
    return jsonify({"username": g.user, "role": g.role, "area": node.area, "node_name": node.name,
                    "time": wall_ms(), "csrf": generate_csrf(), "limits": limits})


@bp.post("/api/confirm")
@role_required(*FIELD_ROLES)
def confirm():
    """Check the logged-in worker's password again (before the tablet derives their offline key)."""
    db, ip = get_db(), client_ip()
    password = str((request.get_json(silent=True) or {}).get("password", ""))
    if throttle.login_wait(db, g.user, ip) or check_password(db, g.user, password) is None:
        throttle.login_failed(db, g.user, ip)
        raise Problem("field.wrong_password")
    throttle.login_succeeded(db, g.user, ip)
    return jsonify({"ok": True, "time": wall_ms()})
