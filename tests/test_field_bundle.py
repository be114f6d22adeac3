"""The field app's modules joined into one (village/field/bundle.py): the app as served, and the subset it refuses."""
import json
import subprocess

import pytest

from village.field import assets
from village.field.bundle import Unjoinable, join, resolve


def test_the_served_app_is_one_module_with_its_content_hash(client):
    shell = client.get("/field/").get_data(as_text=True)
    body, digest = assets.app_module()
    assert f'<script type="module" src="/field/app.js?v={digest}"></script>' in shell
    assert "modulepreload" not in shell
    answer = client.get(f"/field/app.js?v={digest}")
    assert answer.data == body and "immutable" in answer.headers["Cache-Control"]
    assert client.get("/field/app.js").headers["Cache-Control"] == "no-cache"  # an address without its hash
    worker = client.get("/field/sw.js").get_data(as_text=True)
    assert f'"/field/app.js?v={digest}"' in worker
    assert "/static/field/app/records.js" not in worker  # the joined module replaces the files it is made of
    for name in ("app/records.js", "app/syncer.js", "protocol/index.js"):
        assert f'"{name}": ' in body.decode()


SOURCES = {
    "field/app/a.js": 'import {b, twice as double} from "./b.js";\nimport * as c from "/static/field/lib/c.js";\n'
                      'export const out = () => [b, double(2), c.name];\n',
    "field/app/b.js": 'export {name as cname} from "../lib/c.js";\nexport const b = "b";\n'
                      'export async function ignored() {}\nexport function twice(x) { return 2 * x; }\n',
    "field/lib/c.js": 'export const name = "c";\nexport class Thing {}\n',
}


def test_modules_are_joined_in_dependency_order_with_their_exports():
    joined = join(SOURCES, "field/app/a.js")
    assert joined.index("// field/lib/c.js") < joined.index("// field/app/b.js") < joined.index("// field/app/a.js")
    assert "import " not in joined and "export const modules = " in joined
    # Run it as Chromium would (node here: the same ES module semantics) and look at what each module exports.
    script = joined + 'console.log(JSON.stringify([modules["app/a.js"].out(), Object.keys(modules["app/b.js"])]));'
    ran = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True, check=True)
    assert json.loads(ran.stdout) == [["b", 4, "c"], ["b", "ignored", "twice", "cname"]]


@pytest.mark.parametrize("text", ["export let lang = 1;\n", "export default 3;\n", "export * from \"./b.js\";\n",
                                  "import x from \"./b.js\";\n", "const m = await import(\"./b.js\");\n",
                                  "import(\"./b.js\");\n"])
def test_what_the_joiner_does_not_understand_is_refused(text):
    with pytest.raises(Unjoinable):
        join({**SOURCES, "field/app/a.js": text}, "field/app/a.js")


def test_an_import_cycle_or_a_missing_module_is_refused():
    with pytest.raises(Unjoinable, match="cycle"):
        join({"x.js": 'import {y} from "./y.js";\n', "y.js": 'import {x} from "./x.js";\n'}, "x.js")
    with pytest.raises(Unjoinable, match="no such module"):
        join({"x.js": 'import {y} from "./nowhere.js";\n'}, "x.js")
    with pytest.raises(Unjoinable):
        resolve("field/app/a.js", "https://cdn.example/lib.js")
