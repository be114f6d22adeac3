// Conflicts on the records this tablet holds, with both values: who wrote each, when, and which was kept.
// Asked of the node at each sync while a worker is unlocked (signed with the tablet's credentials, scoped by
// the node to the tablet's area) and kept encrypted with that worker's key, so they stay readable offline.
import {el, t, when} from "./i18n.js";
import {forms} from "./forms.js";
import {decryptWith, encryptFor} from "./crypt.js";
import {getMeta, setMeta} from "./store.js";
import {worker} from "./session.js";
import * as sync from "./sync.js";

const COUNT = "conflicts";  // meta: how many the node listed at the last sync (a number: shown while locked)
const listeners = [];
const keyOf = (username) => `conflicts:${username}`;

export const onConflicts = (listener) => listeners.push(listener);
export const conflictCount = () => getMeta(COUNT, 0);

export async function fetchConflicts() {
  // Ask the node for the unlocked worker; keep the answer for them. Returns the number now standing.
  const who = worker();
  if (!who) return conflictCount();
  const answer = await sync.conflicts();
  if (worker() !== who) return conflictCount();  // locked meanwhile: kept for nobody
  const before = await getMeta(keyOf(who.username));
  const text = JSON.stringify(answer.conflicts);
  await setMeta(keyOf(who.username), await encryptFor(who.key, answer.conflicts));
  await setMeta(COUNT, answer.total);
  if (!before || text !== JSON.stringify(await decryptWith(who.key, before))) listeners.forEach((l) => l());
  return answer.total;
}

export const forget = (username) => setMeta(keyOf(username), null);  // a worker removed from the tablet

async function kept() {
  const who = worker();
  const box = who && await getMeta(keyOf(who.username));
  return box ? decryptWith(who.key, box) : [];
}

function fieldOf(table, name) {
  return forms().tables[table]?.fields.find((f) => f.name === name) || {name, label: name, kind: "text"};
}

function shown(spec, value) {
  // A stored value as the worker reads it: a choice by its label, yes/no, a list joined, nothing as "—".
  if (value == null || value === "") return "—";
  if (spec.kind === "bool" || typeof value === "boolean") return value ? t("yes") : t("no");
  if (spec.kind === "choice") return t((spec.choices || []).find(([v]) => v === value)?.[1] ?? String(value));
  return Array.isArray(value) ? value.join(", ") : String(value);
}

function side(words, spec, value, by) {
  const who = by.this_tablet ? `${by.name} (${t("this tablet")})` : by.name;
  return el("span", {}, `${words}: «${shown(spec, value)}» · ${who} · ${when(by.at)}`);
}

function item(c) {
  const spec = fieldOf(c.table, c.field);
  const table = forms().tables[c.table];
  const what = [table ? t(table.label) : c.table, c.household, c.table !== "households" && c.record, t(spec.label)];
  return el("li", {"data-id": c.record_id, "data-field": c.field},
    el("strong", {}, what.filter(Boolean).join(" · ")),
    side(t("Value now"), spec, c.kept, c.kept_by), side(t("Other value"), spec, c.lost, c.lost_by));
}

export async function conflictSection() {
  // The unlocked worker's conflicts as a section of the home screen, or null when there is none.
  const list = await kept();
  if (!list.length) return null;
  return el("section", {id: "conflicts", "aria-labelledby": "conflicts-title"},
    el("h2", {id: "conflicts-title"}, t("Conflicts")),
    el("p", {}, t("The same field was changed in two places, neither seeing the other: the later change was kept. To keep the other value, edit the record again.")),
    el("ul", {class: "list conflicts"}, list.map(item)));
}
