"""The rows of the clerk's household register written in one call (a template's call costs
microseconds, and a page of twenty households made a dozen of them per row)."""
from markupsafe import Markup, escape

from village.clerk.labels import choice_label
from village.records.privacy import mask
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
