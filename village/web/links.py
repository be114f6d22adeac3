"""Addresses for the rows of a list, built with one url_for a list instead of one a row."""
from urllib.parse import quote

from flask import current_app, url_for

MARK = "0row0link0"  # stands for a value in an address built once (letters and digits: never quoted)


def link_for(endpoint, arg, **values):
    """Return a function giving url_for(endpoint, **values, **{arg: value}) for a value (None for none).

    url_for runs once, around a marker each value replaces: quoted as the route's default
    converter quotes a part of the path, or as the templates' urlencode filter quotes a query value.
    """
    head, tail = url_for(endpoint, **values, **{arg: MARK}).split(MARK, 1)
    if "?" in head:
        def quoted(value):
            return quote(str(value), safe="/")
    else:
        quoted = current_app.url_map.converters["default"](current_app.url_map).to_url

    def link(value):
        return f"{head}{quoted(value)}{tail}" if value else None
    return link


def row_link(endpoint, arg, key="id"):
    """Return a function giving a row's address, url_for(endpoint, **{arg: row[key]}) (`link_for`), or None."""
    link = link_for(endpoint, arg)

    def row_address(row):
        return link(row.get(key))
    return row_address
