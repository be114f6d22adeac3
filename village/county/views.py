"""The county section's home (/county/): where the shared login lands county staff."""
from flask import Blueprint, current_app, g, render_template

from village.county.areas import chosen_area, trail
from village.county.nav import NAV
from village.users import roles_for
from village.web.auth import role_required

bp = Blueprint("county", __name__, url_prefix="/county")
COUNTY = roles_for("county")


@bp.get("/")
@role_required(*COUNTY)
def home():
    """Show the county overview."""
    node = current_app.config["NODE"]
    area = chosen_area(node)
    return render_template("county/home.html", area=area, trail=trail(area, node.area), user=g.user)


@bp.app_context_processor
def county_menu():
    """Give templates the county menu: the entries of NAV whose page exists here and the user's role may open."""
    def entries():
        views = current_app.view_functions
        return [(endpoint, label) for endpoint, label in NAV
                if endpoint in views and g.get("role") in getattr(views[endpoint], "roles", (g.get("role"),))]
    return {"county_nav": entries}
