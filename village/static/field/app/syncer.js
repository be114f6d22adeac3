// When to sync and what the status bar says: on start, on reconnect, when the app becomes visible, every
// minute while the node answers (capped backoff while it does not), and on "Sync now". Reachability is a
// ping to the node, never navigator.onLine.
import * as sync from "./sync.js";
import {count, getMeta, markRefused, pending, removeEntries, setMeta} from "./store.js";
import {keepSnapshot} from "./records.js";
import {touchOnline, worker} from "./session.js";

const EVERY_MS = 60000;
const BACKOFF_MS = [5000, 15000, 30000, 60000, 120000, 300000];
const CLOCK_LIMIT_MS = 10 * 60000;
const BATCH = 100;
export const state = {reachable: null, skew: 0, lastSync: null, refused: 0, conflicts: 0, unsynced: 0,
                      needsLogin: false, busy: false};
let failures = 0;
let timer = null;
let listeners = [];

export const onChange = (listener) => listeners.push(listener);
const changed = () => listeners.forEach((listener) => listener(state));

export async function refreshCounts() {
  const entries = await pending();
  state.unsynced = entries.length;
  state.refused = entries.filter((e) => e.refused).length;
  state.lastSync = await getMeta("lastSync");
  changed();
}

export const clockOff = () => Math.abs(state.skew) > CLOCK_LIMIT_MS;

async function pushAll() {
  // Send the outbox in batches, oldest first; entries the node refused stay, marked, and are not resent.
  for (;;) {
    const batch = (await pending()).filter((e) => !e.refused).slice(0, BATCH);
    if (!batch.length) return;
    const answer = await sync.push(batch);
    await removeEntries(answer.accepted);
    await markRefused(answer.refused);
    state.conflicts += answer.conflicts.length;
    if (!answer.accepted.length) return;
  }
}

export async function syncOnce() {
  // One sync round; returns true when the node took everything it was sent.
  if (state.busy) return false;
  state.busy = true;
  changed();
  try {
    const ping = await sync.ping();
    state.reachable = true;
    state.skew = ping.at - ping.time;  // the tablet's clock minus the node's, at the same instant
    const online = await sync.me();
    state.needsLogin = !online;
    if (online) {
      await setMeta("nodeKey", await sync.nodeKey());
      await touchOnline(online);
      await pushAll();
      const current = worker();
      if (current && current.username === online.username) await keepSnapshot((await sync.snapshot()).rows);
      await setMeta("lastSync", Date.now());
    }
    failures = 0;
    return online !== null;
  } catch (error) {
    if (error instanceof sync.Offline || error instanceof TypeError) state.reachable = false;
    else state.reachable = true;
    failures += 1;
    return false;
  } finally {
    state.busy = false;
    await refreshCounts();
    schedule();
  }
}

function schedule() {
  clearTimeout(timer);
  const wait = state.reachable ? EVERY_MS : BACKOFF_MS[Math.min(failures, BACKOFF_MS.length) - 1] || EVERY_MS;
  timer = setTimeout(syncOnce, wait);
}

export function watch() {
  window.addEventListener("online", syncOnce);
  document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && syncOnce());
}
