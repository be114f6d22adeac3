// The app's screens: unlock, home, a household, a visit and a record form. Each replaces <main>.
import {el, t} from "./i18n.js";
import {checklistInputs, fieldInput, forms, readAnswers, readRecord, showProblems} from "./forms.js";
import {downscale} from "./photo.js";
import {newId} from "./crypt.js";
import {capture, mine, village} from "./records.js";
import {conflictSection} from "./conflicts.js";
import {iPadNotice, tabOnIPad} from "./device.js";
import {all} from "./store.js";
import * as session from "./session.js";

const main = () => document.getElementById("main");
export const say = (text) => {
  const box = document.getElementById("message");
  box.textContent = text;
  box.hidden = !text;
};

let shown = 0;  // screens shown so far: a refresh drawn after another screen was opened is dropped

function show(...children) {
  shown += 1;
  main().replaceChildren(...children.filter((child) => child != null));
  const heading = main().querySelector("h1");
  if (heading) heading.focus();
}

const h1 = (text) => el("h1", {tabindex: "-1"}, text);
const button = (text, onclick, cls = "") => el("button", {type: "button", class: cls, onclick}, text);

export async function lockScreen(hooks) {
  const workers = await all("workers");
  const form = el("form", {class: "card", id: "unlock", onsubmit: async (event) => {
    event.preventDefault();
    const username = form.querySelector("#u-worker").value;
    const result = await session.unlock(username, form.querySelector("#u-password").value);
    if (result.ok) return hooks.unlocked();
    say(result.error === "attempts" ? t("Too many wrong passwords: log in online on the village Wi-Fi to unlock this tablet again.")
      : result.error === "age" ? t("Last online login was more than %(days)s days ago: log in online on the village Wi-Fi.", {days: result.days})
      : t("Wrong password. %(left)s tries left.", {left: result.left}));
  }},
  el("p", {class: "field"}, el("label", {for: "u-worker"}, t("Worker")),
     el("select", {id: "u-worker", required: true}, workers.map((w) => el("option", {value: w.username}, w.username)))),
  el("p", {class: "field"}, el("label", {for: "u-password"}, t("Password")),
     el("input", {id: "u-password", type: "password", autocomplete: "current-password", required: true})),
  el("button", {type: "submit", class: "primary"}, t("Unlock")));
  show(h1(t("Workers on this tablet")), workers.length ? form : null,
       el("p", {}, el("a", {class: "button", href: "/login?next=/field/", id: "add-worker"}, t("Add a worker (online login)"))));
}

export function enrollScreen(hooks, code = "") {
  // A tablet not enrolled yet: the one-time code from the clerk's Tablets page (its QR code fills it in).
  const form = el("form", {class: "card", id: "enroll", onsubmit: async (event) => {
    event.preventDefault();
    say(t("Enrolling…"));
    say(await hooks.enroll(form.querySelector("#e-code").value));
  }},
  el("p", {}, t("This tablet is not enrolled at the village node yet. Scan the QR code on the clerk's Tablets page, or type its code.")),
  el("p", {class: "field"}, el("label", {for: "e-code"}, t("Enrollment code")),
     el("input", {id: "e-code", autocomplete: "off", autocapitalize: "characters", required: true, value: code})),
  el("button", {type: "submit", class: "primary"}, t("Enroll this tablet")));
  show(h1(t("Enroll this tablet")), form);
}

export function confirmScreen(online, hooks) {
  const form = el("form", {class: "card", id: "confirm", onsubmit: async (event) => {
    event.preventDefault();
    const password = form.querySelector("#c-password").value;
    if (!(await hooks.confirm(password))) return say(t("This password is not the one of your account."));
    await session.enroll(online, password);
    say("");
    hooks.unlocked();
  }},
  el("p", {}, t("Type your password once more to use this tablet offline.")),
  el("p", {class: "field"}, el("label", {for: "c-password"}, `${t("Password")} (${online.username})`),
     el("input", {id: "c-password", type: "password", autocomplete: "current-password", required: true})),
  el("button", {type: "submit", class: "primary"}, t("Save")));
  show(h1(online.username), form);
}

// What tells a record from its siblings (an edit carries only the fields changed: read from the village's copy).
const nameOf = (r) => r.visited_on || r.name || r.crop || [r.code, r.head_name].filter(Boolean).join(" ");

export async function home(hooks) {
  show(...await homeScreen(hooks));
}

export async function refreshHome(hooks) {
  // Draw the home screen again (a sync brought households or conflicts) only if it is the screen shown, and still is
  // once its data is read: a worker who opened a form meanwhile keeps the form.
  if (!document.getElementById("mine")) return;
  const at = shown;
  const screen = await homeScreen(hooks);
  if (shown === at && document.getElementById("mine")) show(...screen);
}

async function homeScreen(hooks) {
  const rows = await village();
  const households = (rows.households || []).slice().sort((a, b) => String(a.code).localeCompare(String(b.code)));
  const own = await mine();
  return [h1(`${t("Field app")} · ${session.worker().username}`),
    el("div", {class: "actions"},
       button(t("New visit"), () => visitForm(null, hooks), "primary"),
       button(t("New household"), () => recordForm("households", null, null, hooks)),
       button(t("Export unsynced"), hooks.exportUnsynced),
       button(t("Log out"), hooks.logout, "danger")),
    await conflictSection(),
    el("h2", {}, t("My records on this tablet")),
    el("ul", {class: "list", id: "mine"}, own.map((r) => el("li", {"data-id": r.id, "data-table": r.table},
      `${t(forms().tables[r.table].label)} · ${nameOf((rows[r.table] || []).find((x) => x.id === r.id) || r.values)}` +
      (r.unsynced ? ` · ${t("Unsynced")}` : "")))),
    el("h2", {}, t("Households")),
    el("ul", {class: "list"}, households.map((hh) => el("li", {},
      button(`${hh.code} ${hh.head_name}`, () => household(hh.id, hooks), "row"))))];
}

async function household(id, hooks) {
  const rows = await village();
  const hh = rows.households.find((r) => r.id === id);
  const children = (table, key = "household_id") => (rows[table] || []).filter((r) => r[key] === id);
  const edit = (table, r) => el("li", {}, button(`${t("Edit")}: ${r.name || r.crop}`,
                                               () => recordForm(table, r, r.household_id || r.plot_id, hooks), "row"));
  show(h1(`${hh.code} ${hh.head_name}`),
    el("div", {class: "actions"},
       button(t("New visit"), () => visitForm(id, hooks), "primary"),
       button(t("Edit"), () => recordForm("households", hh, null, hooks)),
       button(t("New member"), () => recordForm("persons", null, id, hooks)),
       button(t("Back"), () => home(hooks))),
    el("h2", {}, t("Members")), el("ul", {class: "list"}, children("persons").map((r) => edit("persons", r))),
    el("h2", {}, t("Plots")), el("ul", {class: "list"}, children("plots").map((plot) => [edit("plots", plot),
      el("li", {}, button(`${t("New planting")}: ${plot.name}`, () => recordForm("plantings", null, plot.id, hooks), "row"))])));
}

export async function visitForm(householdId, hooks, kind = "poverty_monitoring") {
  if (tabOnIPad()) return say(iPadNotice());  // capture only in the installed app there
  const rows = await village();
  const spec = forms();
  const today = new Date().toISOString().slice(0, 10);
  const plots = (rows.plots || []).filter((p) => p.household_id === householdId);
  const photos = [];
  const form = el("form", {class: "card", id: "visit", novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    const chosen = form.querySelector("#v-household").value;
    const [values, found] = readRecord("visits", "f");
    const [answers, problems] = readAnswers(kind);
    if (!chosen) found["v-household"] = t("This field is required.");
    if (!showProblems({...found, ...problems})) return say(t("Please correct the marked fields."));
    if (photos.length) answers.photos = photos.map((p) => p.id);
    await capture("visits", {...values, household_id: chosen, kind, answers}, newId(), photos);
    say(t("Visit saved on this tablet."));
    await hooks.saved();
    home(hooks);
  }},
  el("p", {class: "field"}, el("label", {for: "v-household"}, t("Household") + " *"),
     el("select", {id: "v-household", required: true, onchange: (e) => visitForm(e.target.value, hooks, kind)},
        el("option", {value: ""}, t("Choose…")),
        (rows.households || []).map((hh) => el("option", {value: hh.id, selected: hh.id === householdId},
                                               `${hh.code} ${hh.head_name}`))),
     el("span", {class: "problem", id: "v-household-problem"})),
  el("p", {class: "field"}, el("label", {for: "v-kind"}, t("Kind of visit")),
     el("select", {id: "v-kind", onchange: (e) => visitForm(householdId, hooks, e.target.value)},
        Object.entries(spec.checklists).map(([k, c]) => el("option", {value: k, selected: k === kind}, t(c.label))))),
  spec.tables.visits.fields.map((f) => fieldInput(f, f.name === "visited_on" ? today : null)),
  checklistInputs(kind, {}, plots),
  el("div", {class: "actions"}, el("button", {type: "submit", class: "primary", id: "save"}, t("Save")),
     button(t("Cancel"), () => home(hooks))));
  show(h1(t("New visit")), form);
  const file = form.querySelector('input[type="file"]');
  if (file) file.addEventListener("change", async () => {
    for (const picked of file.files) {
      const bytes = await downscale(picked);
      photos.push({id: newId(), bytes});
      form.querySelector("#a-photos-kept").textContent = t("Photo kept (%(kb)s KB).", {kb: Math.ceil(bytes.length / 1024)});
    }
  });
}

function changedOf(values, record) {
  // An edit sends only the fields the worker changed: one changed elsewhere meanwhile keeps its value there.
  return Object.fromEntries(Object.entries(values).filter(([name, value]) => typeof value === "boolean"
    ? value !== !!record[name] : String(value ?? "") !== String(record[name] ?? "")));
}

export function recordForm(table, record, parentId, hooks) {
  if (tabOnIPad()) return say(iPadNotice());
  const spec = forms().tables[table];
  const form = el("form", {class: "card", id: "record", novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    const [typed, found] = readRecord(table, "f");
    if (!showProblems(found)) return say(t("Please correct the marked fields."));
    const values = record ? changedOf(typed, record) : typed;
    if (record && !Object.keys(values).length) return home(hooks).then(() => say(t("Nothing was changed.")));
    if (spec.parent && !record) values[spec.parent] = parentId;
    await capture(table, values, record ? record.id : newId());
    say(t("Saved on this tablet."));
    await hooks.saved();
    home(hooks);
  }},
  spec.fields.map((f) => fieldInput(f, record ? record[f.name] : f.kind === "choice" ? null : null)),
  el("div", {class: "actions"}, el("button", {type: "submit", class: "primary"}, t("Save")),
     button(t("Cancel"), () => home(hooks))));
  show(h1(t(spec.label)), form);
}
