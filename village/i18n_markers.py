"""Markers for strings translated later, where Flask is not available (records, sync, CLI)."""


def N_(message):
    """Mark `message` for extraction by pybabel; it is translated when shown."""
    return message
