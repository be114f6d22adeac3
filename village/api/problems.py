"""How the API answers a failure: the one JSON error shape, the fields at fault, the headers HTTP asks for."""
from village.errors import Problem
from village.records.validate import ValidationError, translated
from village.web.errors import answer, json_error
from village.web.extensions import csrf
from village.web.i18n import gettext

# Headers a client needs to act on some answers (RFC 9110: 401 names the scheme, 429 says when).
HEADERS = {"api.unauthorized": {"WWW-Authenticate": 'Bearer realm="village"'},
           "api.slow_down": {"Retry-After": "60"}}


def refused(problem):
    """Answer a Problem in the one JSON shape, with the headers its code calls for."""
    response = answer(problem)
    response.headers.update(HEADERS.get(problem.code, {}))
    return response


def invalid(exc):
    """Answer values that cannot be saved (422), naming each field and what is wrong with it."""
    problems = [{"field": field, "message": translated(message, params, gettext)}
                for field, message, params in exc.problems]
    return json_error(exc.status, exc.code, exc.say(gettext), problems=problems)


def init_blueprint(bp, before):
    """Make `bp` token-authenticated (`before` runs first), CSRF-free and answer its failures in JSON."""
    csrf.exempt(bp)
    bp.before_request(before)
    bp.register_error_handler(ValidationError, invalid)
    bp.register_error_handler(Problem, refused)
