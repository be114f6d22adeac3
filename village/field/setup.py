"""Setting tablets up: the clerk's Tablets page (enroll, revoke, import a tablet's file, the node's CA) and the CA's download.

The CA certificate is downloaded over plain HTTP (a tablet cannot trust the HTTPS address before
it holds it); it is public, and the page shows its fingerprint so the clerk can compare it on the
tablet. Enrollment codes are shown once, with a QR code that opens the field app over HTTPS.
"""
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, g, render_template, request, url_for
from flask_babel import gettext

from village.audit import record as audit
from village.errors import Problem
from village.field.rescue import MAX_FILE, check_size, import_export
from village.i18n_markers import N_
from village.ops.tablets import add_tablet, enroll_url, list_tablets, revoke_tablet
from village.records import evidence
from village.tls import ca_pem, cert_info
from village.users import roles_for
from village.web.auth import role_required
from village.web.db import get_db
from village.web.extensions import csrf
from village.web.qr import qr_svg

bp = Blueprint("tablets", __name__)
CLERKS = roles_for("clerk")
FORM_ROOM = 64 * 1024  # of a tablet file's upload: the form around the file
CA_TYPE = "application/x-x509-ca-cert"  # iPadOS offers to install a profile for this type; Android a CA


def _base(scheme):
    """Return the node's address for `scheme` ("http" or "https"): public_base_url's host, else this request's."""
    node = current_app.config["NODE"]
    configured = urlsplit((node.setting("public_base_url") or "").strip())
    host = configured.hostname or request.host.rsplit(":", 1)[0].strip("[]")
    if scheme == "https":
        if configured.scheme == "https":
            return f"https://{configured.netloc}"
        port = node.setting("https_port")
        return f"https://{host}" + ("" if port in (0, 443) else f":{port}")
    return f"http://{configured.netloc}" if configured.scheme == "http" else request.host_url.rstrip("/")


def _page(status=200, **shown):
    node = current_app.config["NODE"]
    info = cert_info(node)
    ca_url = _base("http") + url_for("tablets.ca_certificate")
    return render_template("clerk/tablets.html", tablets=list_tablets(get_db()), cert=info,
                           has_ca=ca_pem(node) is not None, ca_url=ca_url,
                           ca_qr=qr_svg(ca_url, N_("QR code: download the CA certificate")),
                           field_url=_base("https") + "/field/", **shown), status


@bp.get("/clerk/tablets")
@role_required(*CLERKS)
def tablets():
    """Show the tablets, the form to add one, and how to install the node's CA on a tablet."""
    return _page()


@bp.post("/clerk/tablets")
@role_required(*CLERKS)
def add():
    """Register a tablet and show its one-time code and QR code (once: the node keeps only a hash)."""
    node, db, name = current_app.config["NODE"], get_db(), request.form.get("name", "")
    try:
        link_id, code = add_tablet(node, db, name)
    except Problem as exc:
        return _page(exc.status, problem=exc.say(gettext), name=name)
    audit(db, g.user, "tablet.add", link_id, name.strip())
    url = enroll_url(_base("https"), code)
    return _page(added={"name": name.strip(), "code": code, "url": url,
                        "qr": qr_svg(url, N_("QR code: enroll this tablet"))})


@bp.post("/clerk/tablets/<tablet_id>/revoke")
@role_required(*CLERKS)
def revoke(tablet_id):
    """Revoke a tablet's credentials (lost, stolen or retired)."""
    db = get_db()
    try:
        revoke_tablet(db, tablet_id)
    except Problem as exc:
        return _page(exc.status, problem=exc.say(gettext))
    audit(db, g.user, "tablet.revoke", tablet_id, "")
    return _page(revoked=tablet_id)


@bp.post("/clerk/tablets/import")
@csrf.exempt  # checked below, once the larger body limit of a tablet's file is set
@role_required(*CLERKS)
def import_file():
    """Import a tablet's "Export unsynced" file: each record once, however often the file is imported."""
    request.max_content_length = MAX_FILE + FORM_ROOM  # a page's limit is 1 MB; a tablet's file can be more
    try:
        # A body bigger than that is said on the page, before it is read (Flask would answer a bare 413).
        check_size((request.content_length or 0) - FORM_ROOM)
    except Problem as exc:
        return _page(exc.status, import_problem=exc.say(gettext))
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()
    node, db, upload = current_app.config["NODE"], get_db(), request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise Problem("tablet.bad_export", reason=gettext("no file chosen"))
        ack = import_export(node, db, upload.read(MAX_FILE + 1))
    except Problem as exc:
        return _page(exc.status, import_problem=exc.say(gettext))
    photos = ack["photos"]
    audit(db, g.user, "tablet.import", upload.filename[:100],
          f"{ack['applied']}/{ack['received']}, photos {photos['new']}/{photos['received']}")
    return _page(imported=ack, not_kept=evidence.not_kept(ack["photos"]["refused"], gettext))


@bp.get("/field/ca.crt")
def ca_certificate():
    """Send the node's CA certificate for a tablet to install (public: it holds no secret)."""
    pem = ca_pem(current_app.config["NODE"])
    if pem is None:
        abort(404)
    return Response(pem, mimetype=CA_TYPE, headers={"Content-Disposition": 'attachment; filename="village-ca.crt"'})
