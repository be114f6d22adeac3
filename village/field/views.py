"""The field app's home page: where the shared login lands a field worker."""
from flask import Blueprint, g, render_template

from village.i18n_markers import N_
from village.users import roles_for
from village.web.auth import role_required

bp = Blueprint("field", __name__, url_prefix="/field")


@bp.get("/")
@role_required(*roles_for("field"))
def home():
    """Show the field worker's home page."""
    return render_template("web/home.html", title=N_("Field app"), user=g.user,
                           message=N_("The field app is set up on this node. Its pages for household visits "
                                      "and plot checks come with a later update."))
