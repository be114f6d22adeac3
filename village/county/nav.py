"""The county section's pages in the order its menu shows them: declared once, read by the layout.

A page module adds its own entry here; the layout shows only entries whose endpoint exists,
so a section still being built never shows a dead link.
"""
from village.i18n_markers import N_

NAV = (
    ("county.home", N_("Overview")),
    ("county_alerts.alerts", N_("Alerts")),
    ("county_prices.prices", N_("Market prices")),
)
