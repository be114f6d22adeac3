// When to sync and what the status bar says: on start, on reconnect, when the app becomes visible, every
// minute while the node answers (capped backoff while it does not), and on "Sync now". Reachability is a
// ping to the node, never navigator.onLine.
import * as sync from "./sync.js";
import {byOwner, count, dropPhotos, getMeta, markRefused, pending, removeSent, setMeta} from "./store.js";
import {applyPage, applyPulled, loading, pulledUpTo} from "./copy.js";
import {decryptWith} from "./crypt.js";
import {forgetGone, touchOnline, worker} from "./session.js";
import {credentials} from "./tablet.js";
import {conflictCount, fetchConflicts} from "./conflicts.js";
import {encodeBatch, sha256Hex} from "/static/field/protocol/index.js";

const EVERY_MS = 60000;
const BACKOFF_MS = [5000, 15000, 30000, 60000, 120000, 300000];
const CLOCK_LIMIT_MS = 10 * 60000;
const BATCH = 500;
const TOO_MANY_HOUSEHOLDS = 5000;  // more than a cheap tablet holds comfortably
export const SEALED = "sealed";  // the table and op of a sealed outbox entry in a batch (village/field/outbox.py)
export const state = {reachable: null, skew: 0, lastSync: null, refused: 0, conflicts: 0, unsynced: 0, photos: 0,
                      enrolled: null, refusedBy: null, households: 0, tooLarge: false, busy: false};
let failures = 0;
let timer = null;
let listeners = [];

const forgotten = [];
const pulled = [];

export const onChange = (listener) => listeners.push(listener);
export const onForgotten = (listener) => forgotten.push(listener);  // called with the usernames forgotten
export const onPulled = (listener) => pulled.push(listener);  // called when the worker's copy of the village changed
const changed = () => listeners.forEach((listener) => listener(state));

export async function refreshCounts() {
  // Unsynced: the records waiting in the outbox; photos: those the node does not hold yet (their records with them).
  const [entries, photos, lastSync, creds, conflicts] = await Promise.all([pending(), count("photos"),
                                                                           getMeta("lastSync"), credentials(),
                                                                           conflictCount()]);
  Object.assign(state, {unsynced: entries.filter((e) => !e.photo).length, photos,
                        refused: entries.filter((e) => e.refused).length, lastSync, enrolled: !!creds, conflicts});
  changed();
}

export const clockOff = () => Math.abs(state.skew) > CLOCK_LIMIT_MS;

export async function outboxBatch(entries) {
  // One batch of sealed outbox entries: the span (pushed cursor, last entry] of the tablet's outbox numbers.
  const creds = await credentials();
  const start = await getMeta("pushCursor", 0);
  const end = entries.reduce((high, e) => Math.max(high, e.seq), start);
  const changes = entries.map((e) => ({tbl: SEALED, op: SEALED, row_id: e.record, version: e.version, area: creds.area,
                                       prev_area: null, data: {id: e.id, eph: e.eph, iv: e.iv, ct: e.ct}, base: null}));
  return encodeBatch({start, end}, changes);
}

async function pushAll() {
  // Send the outbox in batches, oldest first. The node applies each change once (by its version), so a
  // batch cut off on the way is simply sent again. What it refused stays here, marked, and is not resent.
  for (;;) {
    const batch = (await pending()).filter((e) => !e.refused).slice(0, BATCH);
    if (!batch.length) return;
    const ack = await sync.pushBatch(await outboxBatch(batch));
    const byVersion = new Map(batch.map((e) => [e.version, e.id]));
    const refused = ack.refused.filter((r) => byVersion.has(r.version))
      .map((r) => ({id: byVersion.get(r.version), problems: [`${r.code}: ${r.message}`]}));
    await markRefused(refused);
    const held = new Set(refused.map((r) => r.id));
    await removeSent(batch.map((e) => e.id).filter((id) => !held.has(id)), ack.cursor);
  }
}

async function sendPhotos() {
  // The unlocked worker's photos whose records the node took: their bytes on the file lane, each decrypted only to
  // be sent, and dropped from the tablet once the node holds it. Another worker's photos wait for their session
  // (only their key opens them); a photo whose record the node refused stays here, marked with its record.
  const who = worker();
  if (!who) return;
  const waiting = new Set((await pending()).map((e) => e.record));
  const photos = (await byOwner("photos", who.username)).filter((p) => p.sha256 && !waiting.has(p.id));
  if (!photos.length) return;
  const bytesOf = async (file) => {
    const bytes = await decryptWith(who.key, file.photo, true);
    return (await sha256Hex(bytes)) === file.sha ? bytes : null;  // damaged here: kept, never sent as another file
  };
  const held = new Set(await sync.sendFiles(photos.map((p) => ({sha: p.sha256, size: p.size, photo: p})), bytesOf));
  await dropPhotos(photos.filter((p) => held.has(p.sha256)).map((p) => p.id));
}

function counted(households, changed = true) {
  state.households = households;
  state.tooLarge = households > TOO_MANY_HOUSEHOLDS;
  if (changed) pulled.forEach((listener) => listener());
}

async function loadSnapshot(who, after) {
  // The first load (or a reload): the village as it stands, a page at a time, each kept with the page cursor after
  // it, so a cut costs one page. False when the worker was locked meanwhile (the next sync goes on from there).
  for (let restarts = 0; restarts < 3;) {
    const {envelope, changes} = await sync.snapshot(after);
    if (worker() !== who) return false;
    const kept = await applyPage(changes, envelope, after === null);
    if (kept.complete) {
      counted(kept.households);
      return true;
    }
    restarts += kept.restart ? 1 : 0;
    after = kept.restart ? null : envelope.after;
  }
  throw new sync.Offline("the node's history keeps changing: the village is loaded at the next sync");
}

async function pullOn(who) {
  // Bring the copy up to date from its cursor, one acknowledged batch at a time. False when the node's history
  // changed (the copy is to be loaded again) or the worker was locked meanwhile.
  let cursor = await pulledUpTo();
  for (;;) {
    const {envelope, changes} = await sync.pull(cursor);
    if (worker() !== who) return false;
    const households = await applyPulled(changes, envelope);
    if (households === null) return false;
    counted(households, changes.length > 0);
    cursor = envelope.last;
    if (!envelope.more) return true;
  }
}

async function pullAll() {
  // The unlocked worker's copy of the village: loaded from a snapshot when there is none (or it is half loaded, or
  // the node's history changed), then pulled on from the snapshot's cursor, so what changed meanwhile comes too.
  const who = worker();
  for (let round = 0; round < 2 && who && worker() === who; round++) {
    const load = await loading();
    if (load && !(await loadSnapshot(who, load.after))) return;
    if (await pullOn(who)) return;
  }
}

export async function syncOnce() {
  // One sync round; returns true when the tablet is enrolled and everything went through.
  if (state.busy) return false;
  state.busy = true;
  changed();
  try {
    const ping = await sync.ping();
    state.reachable = true;
    state.skew = ping.at - ping.time;  // the tablet's clock minus the node's, at the same instant
    const online = await sync.me();
    if (online) await touchOnline(online);
    const enrolled = !!(await credentials());
    if (enrolled) {
      await pushAll();
      // After their records: the node takes a file only when a record it holds names it. Records never wait for
      // photos: a file lane that fails lets the round go on, which then ends with its error.
      const photosFailed = await sendPhotos().then(() => null, (error) => error);
      // Pushed first: a worker the node disabled loses access here only once their work has gone to it.
      const gone = await forgetGone(ping.workers);
      if (gone.length) forgotten.forEach((listener) => listener(gone));
      await pullAll();
      await fetchConflicts();
      await setMeta("lastSync", Date.now());
      if (photosFailed) throw photosFailed;
    }
    state.refusedBy = null;
    failures = 0;
    return enrolled;
  } catch (error) {
    state.reachable = !(error instanceof sync.Offline || error instanceof TypeError);
    state.refusedBy = error instanceof sync.Refused ? error.code : null;
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
