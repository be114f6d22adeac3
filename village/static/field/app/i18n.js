// The app's words: the node's catalogs as JSON (kept offline by the service worker), looked up by English text.
const root = document.documentElement;
let words = {};
let current = localStorage.getItem("field-lang") || root.dataset.nodeLang || "zh_Hans";

export function t(text, values = {}) {
  const found = words[text] || text;
  return found.replace(/%\((\w+)\)s/g, (_, name) => String(values[name] ?? ""));
}

export const lang = () => current;  // the language shown now

export function when(ms) {
  // A moment (ms) as the language shown writes it, or "never".
  return ms ? new Date(ms).toLocaleString(current.replace("_", "-")) : t("never");
}

export async function loadWords(asked = current) {
  const response = await fetch(`/field/words/${asked}.json`);
  words = await response.json();
  current = asked;
  localStorage.setItem("field-lang", asked);
  root.lang = asked.replace("_", "-");
  root.dir = root.dataset.rtl.split(" ").includes(asked) ? "rtl" : "ltr";
  document.title = t("Field app");
}

export function el(tag, attrs = {}, ...children) {
  // A small element builder: text children are added as text, never as HTML.
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value === true) node.setAttribute(name, "");
    else if (value !== false && value != null) node.setAttribute(name, value);
  }
  for (const child of children.flat(Infinity)) if (child != null) node.append(child);
  return node;
}
