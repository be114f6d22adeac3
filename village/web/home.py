"""The home page of a surface whose own pages come later: what is set up here, and sign-out."""
from flask import Blueprint, g, render_template

from village.users import roles_for
from village.web.auth import role_required


def home_blueprint(surface, title, message):
    """Return the Blueprint of /`surface`/: a home page for the roles that may open `surface`."""
    bp = Blueprint(surface, __name__, url_prefix=f"/{surface}")

    @bp.get("/")
    @role_required(*roles_for(surface))
    def home():
        """Show the signed-in user the surface's home page."""
        return render_template("web/home.html", title=title, message=message, user=g.user)

    return bp
