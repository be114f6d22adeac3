// The field app: starts offline from the service worker's cache, shows the status bar at all times, and
// leads a worker from unlock to capture. See docs/field.md.
import {loadWords, t, when} from "./i18n.js";
import {loadForms} from "./forms.js";
import * as sync from "./sync.js";
import * as session from "./session.js";
import * as screens from "./screens.js";
import {clockOff, onChange, onForgotten, onPulled, refreshCounts, state, syncOnce, watch} from "./syncer.js";
import {activateNow, maybeActivate, register} from "./update.js";
import {all, byOwner, openStore, setMeta} from "./store.js";
import {writeExport} from "./rescue.js";
import {credentials, enrollWith} from "./tablet.js";
import {forget, onConflicts} from "./conflicts.js";
import {iPadNotice, tabOnIPad} from "./device.js";

const $ = (id) => document.getElementById(id);

function renderStatus() {
  $("l-unsynced").textContent = t("Unsynced");
  $("l-last").textContent = t("Last sync");
  $("l-node").textContent = t("Status");
  $("l-conflicts").textContent = t("Conflicts");
  $("s-unsynced").textContent = String(state.unsynced);
  $("l-photos").textContent = t("Photos waiting");
  $("s-photos").textContent = String(state.photos);
  $("f-photos").hidden = !state.photos;
  $("s-last").textContent = when(state.lastSync);
  $("s-node").textContent = state.reachable ? t("Node reachable") : t("Node not reachable");
  $("s-node").className = state.reachable ? "good" : "bad";
  $("s-conflicts").textContent = state.refused ? `${state.conflicts} · ${t("Refused by the node")}: ${state.refused}`
    : String(state.conflicts);
  $("s-clock").hidden = !clockOff();
  $("s-clock").textContent = t("Tablet clock is off by %(hours)s hours: set the date and time.",
                               {hours: (state.skew / 3600000).toFixed(1)});
  $("sync-now").textContent = state.busy ? t("Syncing…") : t("Sync now");
  if (state.tooLarge) {
    screens.say(t("The village holds %(count)s households, more than a tablet keeps comfortably: it may become slow.",
                  {count: state.households}));
  }
  if (state.refusedBy === "revoked") screens.say(t("This tablet was revoked at the node: export the unsynced records and give the file to the clerk."));
}

async function askPersistence() {
  const kept = navigator.storage && navigator.storage.persist ? await navigator.storage.persist() : false;
  await setMeta("persisted", kept);
  $("s-storage").textContent = kept ? t("Storage kept when space runs low")
    : t("Storage may be cleared by the browser when space runs low");
  if (tabOnIPad()) $("s-storage").textContent += " " + iPadNotice();
}

function exportUnsynced() {
  // One file of the sealed outbox and the worker's photos, signed by the tablet (rescue.js): only the node can read
  // it, and it keeps each record and photo once from a USB stick or the clerk's page.
  writeExport().then(screens.say);
}

async function logout() {
  // Never deletes unsynced work: try to send it, then lock and keep what is left, and say so. The worker's photos
  // are sent only in their own session (their key opens them): say that too.
  await syncOnce();
  await refreshCounts();
  const left = state.unsynced;
  const who = session.worker();  // null when the round found this worker disabled at the node (and forgot them)
  const photos = who ? (await byOwner("photos", who.username)).length : 0;
  session.lock();
  try { await sync.logout(); } catch (error) { /* offline: the session ends on the node by itself */ }
  await start();
  screens.say(photos ? t("Logged out. %(count)s unsynced records and %(photos)s photos are kept on this tablet. The records are sent at the next sync, your photos at your next sync.",
                         {count: left, photos})
    : left ? t("Logged out. %(count)s unsynced records are kept on this tablet and will be sent at the next sync.",
               {count: left}) : t("Logged out. Everything was synced."));
}

const hooks = {
  confirm: (password) => sync.confirm(password).catch(() => false),
  unlocked: async () => {
    screens.say("");
    await screens.home(hooks);
    // The first sync may bring the village's households: show them if the worker is still on the home screen.
    if (await syncOnce() && session.worker()) await screens.refreshHome(hooks);
  },
  saved: async () => { await refreshCounts(); syncOnce(); await maybeActivate(); },
  logout,
  exportUnsynced,
  enroll: async (code) => {
    try {
      await enrollWith(code);
    } catch (error) {
      return t("The node did not accept this code (%(reason)s). Ask the clerk for a new one.", {reason: error.code || error.message});
    }
    history.replaceState(null, "", location.pathname);  // the code is spent: keep it out of the address
    await refreshCounts();
    await start();
    return t("This tablet is enrolled at the village node.");
  },
};

async function start() {
  // The first screen, drawn from what the tablet holds (never waiting on the network): enrollment of the
  // tablet, else the unlock screen. An online login without a profile here then asks for the password once
  // more, when the node answers.
  const code = new URLSearchParams(location.hash.slice(1)).get("enroll");
  if (!(await credentials())) {
    if (!code) return screens.enrollScreen(hooks);
    const said = await hooks.enroll(code);  // once enrolled, it shows the next screen itself
    if (!(await credentials())) screens.enrollScreen(hooks, code);
    return screens.say(said);
  }
  await screens.lockScreen(hooks);
  checkOnline();
}

async function checkOnline() {
  // Who is logged in online, if the node answers: a new worker confirms their password; a known one's offline
  // age starts again.
  let online = null;
  try { online = await sync.me(); } catch (error) { online = null; }
  if (!online || session.worker() || !document.getElementById("add-worker")) return;
  const known = (await all("workers")).some((w) => w.username === online.username);
  if (!known) return screens.confirmScreen(online, hooks);
  await session.touchOnline(online);
}

function switchedOff() {
  screens.say(t("The field app is switched off on this node. Your records stay on this tablet."));
}

async function boot() {
  // What the first screen needs comes first (words, forms, the store): the service worker's registration,
  // the storage request and the first sync wait until it is shown, as none of them may hold up opening
  // the app out of range (registering checks the node for a new version, which can take seconds).
  if (!window.isSecureContext || !globalThis.crypto?.subtle) {
    return loadWords();  // the page's red banner (web/_insecure_banner.html) says why and how to fix it
  }
  await Promise.all([loadWords(), loadForms(), openStore()]);
  for (const button of document.querySelectorAll("#langs button")) {
    button.addEventListener("click", async () => {
      await loadWords(button.dataset.lang);
      renderStatus();
      session.worker() ? screens.home(hooks) : start();
    });
  }
  onChange(renderStatus);
  onForgotten(async (gone) => {
    await Promise.all(gone.map(forget));
    if (!session.worker()) await start();  // the worker was locked out: the unlock screen, without them
    screens.say(t("%(names)s: no longer an active field worker at the node. Their work was sent, then removed from this tablet.",
                  {names: gone.join(", ")}));
  });
  onChange(() => !state.busy && state.unsynced === 0 && maybeActivate());  // an update waits for an empty outbox
  onConflicts(() => session.worker() && screens.refreshHome(hooks));  // new ones shown on the home screen
  onPulled(() => session.worker() && screens.refreshHome(hooks));  // the village loaded or changed: shown
  session.watchIdle(() => { start(); screens.say(t("Locked after a time without activity.")); });
  $("sync-now").addEventListener("click", syncOnce);
  $("update-now").addEventListener("click", activateNow);
  await Promise.all([refreshCounts(), start()]);
  document.body.dataset.ready = "true";
  performance.mark("field-ready");  // the bench's measure of opening
  afterFirstScreen();
}

async function afterFirstScreen() {
  await register((waiting) => {
    $("s-update").hidden = !waiting;
    $("s-update-text").textContent = t("An update of the app is ready. It installs when everything is synced.");
    $("update-now").textContent = t("Update now");
  }, switchedOff).catch(() => null);
  await askPersistence();
  watch();
  syncOnce().then(maybeActivate);
}

boot();
