"""The county section's pages in the order its menu shows them: declared once, read by the layout.

A page module adds its own entry here; the layout shows only entries whose endpoint exists,
so a section still being built never shows a dead link, and only entries the user's role may open.
"""
from village.i18n_markers import N_

NAV = (
    ("county.home", N_("Overview")),
    ("county_conflicts.conflicts", N_("Conflicts")),
    ("county_quarantine.quarantine", N_("Held changes")),
    ("county_report.report", N_("Monthly report")),
    ("county_nodes.nodes", N_("Villages and enrollment")),
    ("county_users.users", N_("Users")),
    ("county_audit.log", N_("Who did what")),
    ("county_health.health", N_("Village stations")),
    ("county_completeness.matrix", N_("Completeness")),
    ("county_steps.steps", N_("Monitoring steps")),
    ("county_alerts.alerts", N_("Alerts")),
    ("county_prices.prices", N_("Market prices")),
)
