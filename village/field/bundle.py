"""The field app's modules joined into one ES module, so a tablet opening the app offline makes one request and
one compile instead of one per file (issue #12: opening offline under 1 s on a 4x slower CPU).

No JS build chain: the app's own modules are written in a small subset this joiner understands, and it refuses
anything else rather than guess. Each module becomes a function scope run once, in dependency order, whose
exports are an object; `import {a, b as c} from "./x.js"` becomes `const {a, b: c} = <x's exports>`. So:

- an export must be a declaration (`export function`, `export async function`, `export const`, `export class`)
  or a re-export `export {a, b} from "./x.js"`; `export let`/`var` (a binding others would see change) and
  `export default` are refused;
- imports are named (`{...}`) or `* as name`, from a relative or /static/ path; no cycles, no `import()`.

The joined module exports `modules`: {path under static/field/: that module's exports}, the same objects the
app uses (tests and the bench reach the running app's state through them).
"""
import re
from pathlib import PurePosixPath

IMPORT = re.compile(r'^import\s*(\{[^}]*\}|\*\s*as\s+[\w$]+)\s*from\s*"([^"]+)";[ \t]*$', re.M)
REEXPORT = re.compile(r'^export\s*\{([^}]*)\}\s*from\s*"([^"]+)";[ \t]*$', re.M)
DECLARED = re.compile(r"^export\s+((?:async\s+)?function\*?|const|class)\s+([\w$]+)", re.M)
REFUSED = re.compile(r"^export\s+(let|var|default)\b|^export\s*\{[^}]*\}\s*;|^export\s*\*|\bimport\s*\(|"
                     r"^import\s+[\w$]+|^await\b", re.M)


class Unjoinable(ValueError):
    """A module of the app written outside the subset the joiner understands (a developer's error, not a user's)."""


def _refuse(path, why):
    raise Unjoinable(f"{path}: {why}")


def resolve(base, spec):
    """Return the path under static/ that import `spec` in module `base` (a path under static/) names."""
    if spec.startswith("/static/"):
        return spec[len("/static/"):]
    if spec.startswith("./") or spec.startswith("../"):
        parts = []
        for part in (PurePosixPath(base).parent / spec).parts:
            if part == "..":
                parts.pop()
            elif part != ".":
                parts.append(part)
        return "/".join(parts)
    return _refuse(base, f"import from {spec!r}: only relative and /static/ paths")


def _names(listing):
    """Return [(exported or imported name, local name)] of `{a, b as c}`."""
    out = []
    for item in filter(None, (part.strip() for part in listing.strip("{} \n").split(","))):
        name, _, local = item.partition(" as ")
        out.append((name.strip(), (local or name).strip()))
    return out


def _order(sources, entry):
    """Return the module paths from `entry` in dependency order (each after what it imports)."""
    done, doing, order = set(), [], []

    def visit(path):
        if path in done:
            return
        if path in doing:
            _refuse(path, "an import cycle: " + " -> ".join(doing + [path]))
        if path not in sources:
            _refuse(path, "no such module")
        doing.append(path)
        for match in [*IMPORT.finditer(sources[path]), *REEXPORT.finditer(sources[path])]:
            visit(resolve(path, match.group(2)))
        doing.pop()
        done.add(path)
        order.append(path)

    visit(entry)
    return order


def _module(path, text, var):
    """Return module `path` as a function scope assigned to `var` (`var` maps a path to its variable)."""
    found = REFUSED.search(text)
    if found:
        _refuse(path, f"{found.group(0).strip()!r} is not in the subset the joiner understands")
    exports = [(name, name) for _kind, name in DECLARED.findall(text)]

    def imported(match):
        what, source = match.group(1), var[resolve(path, match.group(2))]
        if what.startswith("*"):
            return f"const {what.split()[-1]} = {source};"
        pairs = ", ".join(name if name == local else f"{name}: {local}" for name, local in _names(what))
        return f"const {{{pairs}}} = {source};"

    def reexported(match):
        source = var[resolve(path, match.group(2))]
        exports.extend((name, f"{source}.{local}") for local, name in _names(match.group(1)))
        return ""

    body = REEXPORT.sub(reexported, IMPORT.sub(imported, text))
    body = re.sub(r"^export\s+(?=(?:async\s+)?function|const|class)", "", body, flags=re.M)
    listing = ", ".join(name if name == value else f"{name}: {value}" for name, value in exports)
    return f"// {path}\nconst {var[path]} = (() => {{\n{body}\nreturn Object.freeze({{{listing}}});\n}})();\n"


def join(sources, entry):
    """Return one ES module of `entry` and every module it imports; `sources`: {path under static/: text}."""
    order = _order(sources, entry)
    var = {path: f"m{i}_{re.sub(r'[^A-Za-z0-9]', '_', PurePosixPath(path).stem)}" for i, path in enumerate(order)}
    parts = [_module(path, sources[path], var) for path in order]
    listing = ", ".join(f'"{path.removeprefix("field/")}": {var[path]}' for path in order)
    return "".join(parts) + f"export const modules = {{{listing}}};\n"
