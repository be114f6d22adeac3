"""The field app's home page: where the shared login lands a field worker (the app is issue #12)."""
from village.i18n_markers import N_
from village.web.home import home_blueprint

bp = home_blueprint("field", N_("Field app"), N_("The field app is set up on this node. Its pages for household "
                                                 "visits and plot checks come with a later update."))
