"""Templates translate in one call per string (village/web/i18n.py) exactly as Jinja's newstyle gettext does."""
import pytest
from jinja2.ext import _make_new_gettext, _make_new_ngettext

from village.web.i18n import request_translations

SOURCES = [
    "{{ _('Overview') }}",
    "{{ _('%(age)s days', age=age) }}",
    "{{ _('Log out (%(user)s)', user=user) }}",  # a variable holding markup: escaped
    "{{ gettext('Goal for this area (%%)') }}",  # always %-formatted: %% is one %
    "{{ _('not a catalog entry <b> 100%%') }}",
    "{{ ngettext('%(num)d household', '%(num)d households', n) }}",
    "{{ ngettext('%(num)d day overdue', '%(num)d days overdue', n, extra=user) }}",
    "{% trans %}Overview{% endtrans %}",
    "{% trans n=n %}Page {{ n }}{% endtrans %}",
]


def jinja_own(app):
    """Return an environment translating as Jinja's i18n extension does on its own (three calls a string)."""
    env = app.jinja_env.overlay()
    env.globals = dict(app.jinja_env.globals)
    env.globals.update(gettext=_make_new_gettext(lambda s: request_translations().ugettext(s)),
                       ngettext=_make_new_ngettext(lambda s, p, n: request_translations().ungettext(s, p, n)))
    env.globals["_"] = env.globals["gettext"]
    return env


@pytest.mark.parametrize("lang", ["zh_Hans", "ug", "en"])
@pytest.mark.parametrize("n", [1, 3])
def test_a_template_translates_as_jinjas_newstyle_gettext_does(app, lang, n):
    values = {"age": "16+", "user": "<script>x</script>", "n": n}
    with app.test_request_context(f"/?lang={lang}"):
        ours, theirs = app.jinja_env, jinja_own(app)
        for source in SOURCES:
            shown = ours.from_string(source).render(values)
            assert shown == theirs.from_string(source).render(values), source
            assert "<script>" not in shown
    with app.test_request_context("/?lang=zh_Hans"):
        assert ours.from_string(SOURCES[0]).render() == "总览"
        assert ours.from_string(SOURCES[5]).render(n=3) == "共 3 户"
