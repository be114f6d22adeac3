"""The village node's web application."""


def create_app(config=None):
    """Create the app for the node in `config["NODE"]` (or `config["DATA_DIR"]`)."""
    # Imported here, not at the top: the command line (`village sync`, `village import`) does
    # not need Flask, and importing it cost a tenth of a second at every command.
    from flask import Flask

    from village import web
    from village.node import load_node
    from village.settings import secret_key

    app = Flask(__name__)
    app.config.update(config or {})
    if "NODE" not in app.config:
        app.config["NODE"] = load_node(app.config.get("DATA_DIR"))
    app.config["SECRET_KEY"] = secret_key(app.config["NODE"])
    web.init_app(app)

    from village.admin import tokens as admin_tokens
    from village.api import records as api_records, reference as api_reference, sync as sync_api
    from village.clerk import alerts as clerk_alerts, care, cases, queues, records, views as clerk, visits
    from village.county import (alerts as county_alerts, auditlog as county_audit, completeness as county_completeness,
                                conflicts as county_conflicts, health as county_health, nodes as county_nodes,
                                prices as county_prices, quarantine as county_quarantine, report as county_report,
                                steps as county_steps, users as county_users, views as county)
    from village.field import setup as field_setup, views as field
    from village.kiosk import verify, views as kiosk
    from village.web import auth

    for module in (kiosk, auth, clerk, records, queues, cases, visits, care, clerk_alerts, field, field_setup, county,
                   county_health, county_completeness, county_steps, county_alerts, county_prices, county_conflicts,
                   county_quarantine, county_report, county_nodes, county_users, county_audit, verify, sync_api,
                   api_reference, api_records, admin_tokens):
        app.register_blueprint(module.bp)
    return app
