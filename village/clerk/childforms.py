"""The form of a record hung under another (a case's measure, a person's elder profile): show, save, go back."""
from flask import current_app, flash, g, redirect, request
from flask_babel import gettext as _

from village.clerk.records import parent_field, read_form, render_form
from village.records import core
from village.records.validate import ValidationError
from village.web.db import records_write


def child_form(table, parent, defaults, back):
    """Show `table`'s form for a record under `parent`; on POST save it and go to `back`, or show its problems."""
    if request.method == "GET":
        return render_form(table, defaults, parent=parent)
    node = current_app.config["NODE"]
    values = {**read_form(table), parent_field(table).name: parent}
    try:
        with records_write(node) as w:
            core.save(w, node, table, values, actor=g.user)
    except ValidationError as exc:
        return render_form(table, values, exc.problems, parent=parent, status=400)
    flash(_("Saved."), "info")
    return redirect(back)
