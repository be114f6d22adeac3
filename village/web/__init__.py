"""Flask plumbing shared by every surface: database on g, languages, sign-in, security headers."""


def init_app(app):
    """Wire the shared plumbing into `app`: database, sessions, languages, errors, security, CSRF."""
    from village.settings import WEB_CONFIG
    from village.web import auth, db, errors, exports, i18n, security
    from village.web.extensions import csrf

    app.config.update(WEB_CONFIG)
    db.init_app(app)
    auth.init_app(app)
    i18n.init_app(app)
    security.init_app(app)  # before CSRF: its body limit must hold when CSRF reads the form
    errors.init_app(app)
    exports.init_app(app)
    csrf.init_app(app)
