"""Flask plumbing shared by every surface: database on g, languages, sign-in, security headers."""


def init_app(app):
    """Wire the shared plumbing into `app`: database, languages, security, CSRF."""
    from village.web import db, errors, i18n, security
    from village.web.extensions import csrf

    app.config.update(SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_HTTPONLY=True)
    db.init_app(app)
    i18n.init_app(app)
    security.init_app(app)  # before CSRF: its body limit must hold when CSRF reads the form
    errors.init_app(app)
    csrf.init_app(app)
