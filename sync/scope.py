"""Area code paths (e.g. 52/5201/520102/001): which records a node owns and which it receives."""


def inside(area, path):
    """Return True when code path `area` lies at or below `path`."""
    return area == path or area.startswith(path.rstrip("/") + "/")


def in_scope(area, path):
    """Return True when a node owning `path` receives a record of `area` (own or an ancestor's)."""
    return area is not None and (inside(area, path) or inside(path, area))


def ancestors(path):
    """Return the code paths above `path`, the widest first ("52/5201/001" -> ["52", "52/5201"])."""
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]
