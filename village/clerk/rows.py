"""What every clerk page repeats, written in one call: the register's rows and the menu.

A template's call costs microseconds: a page of twenty households made a dozen of them per row,
and the menu eight addresses and eight translations on every page."""
from flask import current_app, g, url_for
from markupsafe import Markup, escape

from village.clerk.labels import choice_label
from village.i18n_markers import N_
from village.records.privacy import mask
from village.web.i18n import current_language, gettext
from village.web.links import link_for


def household_rows(households):
    """Return the <tr>…</tr> of each household of a register page: code (linked), head, masked phone and
    ID number, monitoring status."""
    link, labels, out = link_for("clerk.household", "row_id"), {}, []
    for hh in households:
        status = hh.get("monitoring_status")
        if status not in labels:
            labels[status] = escape(choice_label(status))
        out.append(f'<tr><td><a href="{escape(link(hh["id"]))}">{escape(hh.get("code") or "")}</a></td>'
                   f'<td>{escape(hh.get("head_name") or "")}</td>'
                   f'<td class="masked" dir="ltr">{escape(mask(hh.get("phone")))}</td>'
                   f'<td class="masked" dir="ltr">{escape(mask(hh.get("id_number")))}</td>'
                   f"<td>{labels[status]}</td></tr>")
    return Markup("".join(out))


# The clerk's menu: (endpoint, its arguments, label, who sees it). "desk": not county staff, who
# open only the case pages here; "village": only on a village node (tablets are enrolled there).
NAV = (("clerk.households", {}, N_("Households"), "desk"),
       ("clerk_queues.queue", {"kind": "requests"}, N_("Requests"), "desk"),
       ("clerk_queues.queue", {"kind": "grievances"}, N_("Grievances"), "desk"),
       ("clerk_cases.cases", {}, N_("Monitoring"), "all"),
       ("clerk_care.elders", {}, N_("Elderly care"), "desk"),
       ("clerk_alerts.alerts", {}, N_("Alerts"), "desk"),
       ("clerk.sync", {}, N_("Sync"), "desk"),
       ("tablets.tablets", {}, N_("Tablets"), "village"))


def nav_links():
    """Return the clerk menu's links for this user's role, node and language, made once per app and kept."""
    role, node_role, lang = g.get("role"), current_app.config["NODE"].role, current_language()
    kept = current_app.extensions.setdefault("clerk_nav", {})
    key = (role, node_role, lang)
    if key not in kept:
        shown = [(url_for(endpoint, **args), label) for endpoint, args, label, who in NAV
                 if who == "all" or (role != "county" and (who == "desk" or node_role == "village"))]
        kept[key] = Markup("\n".join(f'<a href="{escape(href)}">{escape(gettext(label))}</a>' for href, label in shown))
    return kept[key]
