"""The county pages' home: where the shared login lands county staff."""
from village.i18n_markers import N_
from village.web.home import home_blueprint

bp = home_blueprint("county", N_("County pages"), N_("The county pages are set up on this node. Their reports "
                                                     "across villages come with a later update."))
