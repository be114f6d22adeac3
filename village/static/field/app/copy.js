// Each worker's copy of the village (the records the tablet holds: TABLET_HOLDS at the node), encrypted with their
// key in IndexedDB `snapshots`, one row per worker: {owner, at, cursor, epoch, loaded, iv, ct, loading}.
// The first load is a snapshot: the live records in pages by (table, id) (POST /sync/snapshot), staged in `loading`
// with the page cursor to go on from ({after, cursor, epoch, iv, ct}); a half-loaded snapshot is never the copy.
// After its last page the staged copy becomes the copy, with the cursor of the snapshot's first page, and the
// tablet pulls on from there. A node whose history changed (a new epoch: restored from a backup) is loaded again;
// the old copy is shown until the new one is complete. Changes are laid field by field by version, as at the node.
import {decryptWith, encryptFor} from "./crypt.js";
import {get, put} from "./store.js";
import {worker} from "./session.js";

const newest = (epochs) => (Array.isArray(epochs) && epochs.length ? epochs[epochs.length - 1][0] : null);
const households = (plain) => (plain.households || []).length;

async function rowOf(username) {
  return (await get("snapshots", username)) || {owner: username};
}

async function opened(key, box) {
  // {table: [records]} of an encrypted box ({} when there is none yet).
  return box && box.ct ? decryptWith(key, box) : {};
}

function drop(maps, table, id) {
  // A record deleted or gone from the tablet's scope, with every record hanging under it (by an *_id field).
  maps[table]?.delete(id);
  for (const [name, rows] of Object.entries(maps)) {
    for (const row of [...rows.values()]) {
      if (Object.entries(row).some(([field, value]) => value === id && field.endsWith("_id"))) drop(maps, name, row.id);
    }
  }
}

function layOver(rows, changes) {
  // Return {table: [records]}: `changes` laid over `rows`, field by field (the newer version wins, as at the node).
  const maps = Object.fromEntries(Object.entries(rows).map(([t, list]) => [t, new Map(list.map((r) => [r.id, r]))]));
  for (const change of changes) {
    const table = maps[change.tbl] = maps[change.tbl] || new Map();
    if (change.op === "put") {
      const held = table.get(change.row_id) || {};
      const fv = {...held._fv};
      const newer = Object.entries(change.data).filter(([name]) => !fv[name] || change.version > fv[name]);
      newer.forEach(([name]) => { fv[name] = change.version; });
      table.set(change.row_id, {...held, ...Object.fromEntries(newer), _fv: fv, id: change.row_id, area: change.area});
    } else {
      drop(maps, change.tbl, change.row_id);  // "del", or "evict": it left the tablet's scope
    }
  }
  return Object.fromEntries(Object.entries(maps).map(([t, map]) => [t, [...map.values()]]));
}

export async function held() {
  // {table: [records]} of the unlocked worker's copy ({} until their first snapshot is complete).
  const {username, key} = worker();
  return opened(key, await get("snapshots", username));
}

export async function pulledUpTo() {
  // The node's change number the unlocked worker's copy of the village is pulled up to (0: none loaded yet).
  const row = await get("snapshots", worker().username);
  return row && row.cursor ? row.cursor : 0;
}

export async function loading() {
  // null when the copy is complete and current; else {after}: the page cursor of the snapshot to go on from.
  const row = await get("snapshots", worker().username);
  if (row && row.loading) return {after: row.loading.after || null};
  // A copy pulled from 0 by an older app (a cursor, no `loaded`) is complete too.
  return row && row.ct && (row.loaded || row.cursor > 0) ? null : {after: null};
}

export async function applyPage(changes, envelope, first) {
  // Keep one snapshot page with the page cursor after it (one write). Returns {complete, households} after the
  // last page, {restart} when the node's history changed since the first page (load again from the start).
  const {username, key} = worker();
  const row = await rowOf(username);
  const epoch = newest(envelope.epochs);
  const stage = !first && row.loading && row.loading.cursor !== undefined ? row.loading : null;
  if (!first && (!stage || stage.epoch !== epoch)) {
    await put("snapshots", {...row, loading: {after: null}});
    return {restart: true};
  }
  const plain = layOver(await opened(key, stage), changes);
  const cursor = stage ? stage.cursor : envelope.cursor;  // the first page's: changes after it are pulled next
  const box = await encryptFor(key, plain);
  if (envelope.more) {
    await put("snapshots", {...row, loading: {after: envelope.after, cursor, epoch, ...box}});
    return {complete: false};
  }
  const {loading: _done, ...kept} = row;
  await put("snapshots", {...kept, at: Date.now(), cursor, epoch, loaded: true, ...box});
  return {complete: true, households: households(plain)};
}

export async function applyPulled(changes, envelope) {
  // Lay one pulled batch over the worker's copy and keep it with its cursor (one write); returns the number of
  // households, or null when the node's history changed (a new epoch): the copy is then loaded again.
  const {username, key} = worker();
  const row = await rowOf(username);
  const epoch = newest(envelope.epochs);
  if (row.epoch && epoch && epoch !== row.epoch) {
    await put("snapshots", {...row, loading: {after: null}});
    return null;
  }
  const plain = layOver(await opened(key, row), changes);
  await put("snapshots", {...row, at: Date.now(), cursor: envelope.last, epoch: epoch || row.epoch || null,
                          loaded: true, ...(await encryptFor(key, plain))});
  return households(plain);
}
