"""The area a county page shows: chosen by `?area=`, inside the node's own path, with its drill-down trail."""
from flask import abort, request

from sync.scope import inside
from village.node import AREA_RE


def chosen_area(node):
    """Return the area path of `?area=` (the node's own by default); 404 for one outside the node's path."""
    area = (request.args.get("area") or node.area).strip().strip("/")
    # An area outside this hub's path is not one it holds: the same answer as a page that does not exist.
    if not AREA_RE.match(area) or not inside(area, node.area):
        abort(404)
    return area


def trail(area, node_area, names=None):
    """Return [(path, label)] from the node's own area down to `area`, for the drill-down links.

    `names` maps a path to the name its node enrolled under (a village's name); a part without
    one is shown by its code.
    """
    names = names or {}
    parts, steps = area.split("/"), []
    for depth in range(len(node_area.split("/")), len(parts) + 1):
        path = "/".join(parts[:depth])
        steps.append((path, names.get(path) or parts[depth - 1]))
    return steps


def child_of(area, path):
    """Return the path one level below `area` that `path` lies in (or None when it is not below)."""
    if not inside(path, area) or path == area:
        return None
    depth = len(area.split("/")) + 1
    return "/".join(path.split("/")[:depth])
