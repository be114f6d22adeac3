// Forms drawn from the node's declarations (/field/forms.json) and checked with the same rules the node
// applies again on receipt (village/records/schema.py, checklists.py).
import {el, t} from "./i18n.js";

let described = null;
export async function loadForms() {
  described = described || await (await fetch("/field/forms.json")).json();
  return described;
}
export const forms = () => described;

const INPUT_TYPES = {int: "number", float: "number", date: "date", datetime: "datetime-local"};

function choiceSelect(id, choices, value, required) {
  return el("select", {id, name: id, required},
    el("option", {value: ""}, t("Choose…")),
    choices.map(([v, words]) => el("option", {value: v, selected: v === value}, t(words))));
}

export function fieldInput(spec, value, prefix = "f") {
  // One labelled input for a schema field; returns the wrapping element.
  const id = `${prefix}-${spec.name}`;
  let input;
  if (spec.kind === "choice") input = choiceSelect(id, spec.choices, value, spec.required);
  else if (spec.kind === "bool") input = el("input", {id, name: id, type: "checkbox", checked: !!value});
  else if (spec.multiline) input = el("textarea", {id, name: id, rows: 3, maxlength: spec.max_chars}, value ?? "");
  else {
    input = el("input", {id, name: id, type: INPUT_TYPES[spec.kind] || "text", value: value ?? "",
                         required: spec.required, step: spec.kind === "float" ? "any" : null});
  }
  return el("p", {class: "field", "data-name": spec.name},
            el("label", {for: id}, t(spec.label) + (spec.required ? " *" : "")), input,
            el("span", {class: "problem", id: `${id}-problem`}));
}

export function readField(spec, prefix = "f") {
  const input = document.getElementById(`${prefix}-${spec.name}`);
  if (spec.kind === "bool") return input.checked;
  const text = input.value.trim();
  if (text === "") return null;
  if (spec.kind === "int" || spec.kind === "float" || spec.kind === "yuan") return Number(text);
  return text;
}

export function problemOf(spec, value) {
  // Return the message of what is wrong with `value` for `spec`, or "".
  if (value == null || value === "") return spec.required ? t("This field is required.") : "";
  if (typeof value === "string" && value.length > (spec.max_chars || 500)) {
    return t("Too long: at most %(max)s characters.", {max: spec.max_chars});
  }
  if (["int", "float", "yuan"].includes(spec.kind)) {
    if (!Number.isFinite(value) || (spec.kind === "int" && !Number.isInteger(value))) return t("Not a number.");
    const min = spec.kind === "yuan" ? 0 : spec.minimum;
    if (min != null && (value < min || (spec.exclusive_min && value <= min))) return t("Too small.");
    if (value > (spec.kind === "yuan" ? 1e9 : spec.maximum ?? Infinity)) return t("Too large.");
  }
  if (spec.kind === "choice" && spec.choices && !spec.choices.some(([v]) => v === value)) {
    return t("Not one of the choices.");
  }
  if (spec.kind === "date" && !/^\d{4}-\d{2}-\d{2}$/.test(value)) return t("This field is required.");
  return "";
}

export function showProblems(found) {
  // Mark each input (by id) with its problem; focus the first. Returns true when there was none.
  let first = null;
  for (const p of document.querySelectorAll(".problem")) p.textContent = "";
  for (const input of document.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  for (const [id, message] of Object.entries(found)) {
    const input = document.getElementById(id);
    const problem = document.getElementById(`${id}-problem`);
    if (!input || !problem) continue;
    problem.textContent = message;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", problem.id);
    first = first || input;
  }
  if (first) first.focus();
  return !first;
}

export function readRecord(table, prefix = "f") {
  // Return [values, problems] of a record form of `table`.
  const values = {}, found = {};
  for (const spec of described.tables[table].fields) {
    const value = readField(spec, prefix);
    const problem = problemOf(spec, value);
    if (problem) found[`${prefix}-${spec.name}`] = problem;
    values[spec.name] = value;
  }
  return [values, found];
}

export function checklistInputs(kind, answers, plots) {
  // The checklist of a visit kind, grouped under its headings.
  const groups = new Map();
  for (const item of described.checklists[kind].items) {
    if (!groups.has(item.group)) groups.set(item.group, []);
    groups.get(item.group).push(itemInput(item, answers[item.name], plots));
  }
  return [...groups].map(([group, inputs]) => el("fieldset", {class: "group"}, el("legend", {}, t(group)), inputs));
}

function itemInput(item, value, plots) {
  const id = `a-${item.name}`;
  const wrap = (label, ...inputs) => el("div", {class: "field", "data-name": item.name}, label, ...inputs,
                                        el("span", {class: "problem", id: `${id}-problem`}));
  if (item.kind === "yes_no") {
    const option = (v, words) => el("label", {class: "choice"},
      el("input", {type: "radio", name: id, value: v, checked: String(value ?? "") === v}), t(words));
    return el("fieldset", {class: "field yes-no", id, "data-name": item.name}, el("legend", {}, t(item.label)),
              option("true", "yes"), option("false", "no"), option("", "not asked"));
  }
  if (item.kind === "choices") {
    return el("fieldset", {class: "field", id, "data-name": item.name}, el("legend", {}, t(item.label)),
              item.choices.map(([v, words]) => el("label", {class: "choice"},
                el("input", {type: "checkbox", name: id, value: v, checked: (value || []).includes(v)}), t(words))));
  }
  if (item.kind === "files") {
    return wrap(el("label", {for: id}, t("Take or choose a photo")),
                el("input", {id, type: "file", accept: "image/*", capture: "environment"}),
                el("output", {id: `${id}-kept`}));
  }
  const label = el("label", {for: id}, t(item.label));
  if (item.kind === "choice") return wrap(label, choiceSelect(id, item.choices, value, false));
  if (item.name === "plot_id" && plots.length) {
    return wrap(label, choiceSelect(id, plots.map((p) => [p.id, p.name]), value, false));
  }
  return wrap(label, el("input", {id, type: item.kind === "yuan" ? "number" : "text", value: value ?? "",
                                  step: item.kind === "yuan" ? "any" : null}));
}

export function readAnswers(kind) {
  // Return [answers, problems] of a visit's checklist.
  const answers = {}, found = {};
  for (const item of described.checklists[kind].items) {
    const id = `a-${item.name}`;
    let value = null;
    if (item.kind === "yes_no") {
      const picked = document.querySelector(`input[name="${id}"]:checked`);
      value = picked && picked.value ? picked.value === "true" : null;
    } else if (item.kind === "choices") {
      value = [...document.querySelectorAll(`input[name="${id}"]:checked`)].map((i) => i.value);
    } else if (item.kind !== "files") {
      const text = document.getElementById(id).value.trim();
      value = text === "" ? null : item.kind === "yuan" ? Number(text) : text;
      const problem = value == null ? "" : problemOf({...item, max_chars: 500}, value);
      if (problem) found[id] = problem;
    }
    if (value != null) answers[item.name] = value;
  }
  return [answers, found];
}
