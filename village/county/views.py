"""The county pages' home: where the shared login lands county staff."""
from flask import Blueprint, g, render_template

from village.i18n_markers import N_
from village.users import roles_for
from village.web.auth import role_required

bp = Blueprint("county", __name__, url_prefix="/county")


@bp.get("/")
@role_required(*roles_for("county"))
def home():
    """Show the county staff's home page."""
    return render_template("web/home.html", title=N_("County pages"), user=g.user,
                           message=N_("The county pages are set up on this node. Their reports across "
                                      "villages come with a later update."))
