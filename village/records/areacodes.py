"""Administrative codes (GB/T 2260 and the 12-digit statistical code) and our area paths, both ways.

A path's parts are codes down to the county as written in full (52/5201/520102), then the
3-digit township and village parts (…/520102/001/002): so 52/5201/520102/001 stands for the
9-digit code 520102001. A path written with full codes at every level (…/520102/520102001)
stands for the same code. Codes padded with zeros name the level above: 520100 is the
prefecture 5201, 520102001000 the township 520102001.
"""
from sync.scope import inside

LEVELS = (2, 4, 6, 9, 12)  # digits of a province, prefecture, county, township, village code


def code_of(path):
    """Return the administrative code a path stands for (52/5201/520102/001 -> 520102001)."""
    code = ""
    for part in path.split("/"):
        code = part if part.startswith(code) and len(part) > len(code) else code + part
    return code


def short_code(code):
    """Return a code without the zeros that only pad it (520100 -> 5201, 520102001000 -> 520102001)."""
    for length, level in ((12, 9), (9, 6), (6, 4), (4, 2)):
        if len(code) == length and code[level:] == "0" * (length - level):
            code = code[:level]
    return code


def path_of(code, hub_path, known=()):
    """Return the area path inside `hub_path` that `code` names, `hub_path` itself when the code covers it, else None.

    A path held in `known` (the hub's and its villages' paths) that stands for the code is
    used as it is; else the path is made by the rule above, so a village enrolled later at
    that path still receives what was sent to it.
    """
    code, hub = short_code(code), code_of(hub_path)
    if hub.startswith(code):
        return hub_path
    if not code.startswith(hub):
        return None
    for path in known:
        if inside(path, hub_path) and code_of(path) == code:
            return path
    parts, current = hub_path.split("/"), hub
    for level in LEVELS:
        if len(current) < level <= len(code):
            parts.append(code[:level] if level <= 6 else code[len(current):level])
            current = code[:level]
    return "/".join(parts) if current == code else None


def outermost(paths):
    """Return the paths not inside another of them, sorted: a township named beside its village covers it."""
    paths = sorted(set(paths))
    return [p for p in paths if not any(q != p and inside(p, q) for q in paths)]
