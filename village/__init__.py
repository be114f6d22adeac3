"""The village node's web application."""


def create_app(config=None):
    """Create the app for the node in `config["NODE"]` (or `config["DATA_DIR"]`)."""
    # Imported here, not at the top: the command line (`village sync`, `village import`) does
    # not need Flask, and importing it cost a tenth of a second at every command.
    from flask import Flask

    from village import db, web_i18n, web_security
    from village.extensions import csrf
    from village.node import load_node

    app = Flask(__name__)
    app.config.update(config or {})
    if "NODE" not in app.config:
        app.config["NODE"] = load_node(app.config.get("DATA_DIR"))
    node = app.config["NODE"]
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = node.setting("secret_key") or node.secret_key
    app.config.update(SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_HTTPONLY=True)
    db.init_app(app)
    web_i18n.init_app(app)
    web_security.init_app(app)  # before CSRF: its body limit must hold when CSRF reads the form
    csrf.init_app(app)

    from village import auth, clerk, clerk_queues, clerk_records, kiosk, sync_api, verify

    for module in (kiosk, auth, clerk, clerk_records, clerk_queues, verify, sync_api):
        app.register_blueprint(module.bp)
    return app
