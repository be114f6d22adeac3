// What a worker captures: each record encrypted with their key and, in the same transaction, an outbox
// entry sealed to the node. The village snapshot is kept encrypted per worker as well.
import {decryptWith, encryptFor, newId, sealForNode} from "./crypt.js";
import {byOwner, get, getMeta, pending, put, saveWithEntry} from "./store.js";
import {worker} from "./session.js";

let seq = 0;

export async function capture(table, values, recordId = newId(), photos = []) {
  // Save one record of the unlocked worker (new or edited); returns its id.
  const {username, key} = worker();
  const nodeKey = await getMeta("nodeKey");
  if (!nodeKey) throw new Error("no node key");
  const entryId = newId();
  const savedAt = Date.now();
  const payload = {id: entryId, table, record: recordId, values, worker: username, saved_at: savedAt};
  const sealed = await sealForNode(nodeKey, entryId, payload);
  const box = await encryptFor(key, {table, values});
  const record = {id: recordId, owner: username, table, savedAt, ...box};
  const entry = {id: entryId, seq: savedAt * 1000 + (seq++ % 1000), owner: username, record: recordId, ...sealed};
  const kept = [];
  for (const photo of photos) {
    const pbox = await encryptFor(key, photo.bytes);
    kept.push({id: photo.id, owner: username, record: recordId, size: photo.bytes.length, ...pbox});
  }
  await saveWithEntry(record, entry, kept);
  return recordId;
}

export async function mine() {
  // The unlocked worker's own records, decrypted: [{id, table, values, savedAt, unsynced}].
  const {username, key} = worker();
  const waiting = new Set((await pending()).map((e) => e.record));
  const rows = await byOwner("records", username);
  const out = [];
  for (const row of rows) {
    const {table, values} = await decryptWith(key, row);
    out.push({id: row.id, table, values, savedAt: row.savedAt, unsynced: waiting.has(row.id)});
  }
  return out.sort((a, b) => b.savedAt - a.savedAt);
}

export async function keepSnapshot(rows) {
  const {username, key} = worker();
  await put("snapshots", {owner: username, at: Date.now(), ...(await encryptFor(key, rows))});
}

export async function village() {
  // {table: [records]}: the snapshot with the worker's own later edits laid over it.
  const {username, key} = worker();
  const row = await get("snapshots", username);
  const rows = row ? await decryptWith(key, row) : {};
  for (const record of await mine()) {
    if (record.table === "visits") continue;
    const list = rows[record.table] = rows[record.table] || [];
    const at = list.findIndex((r) => r.id === record.id);
    const merged = {...(at >= 0 ? list[at] : {}), ...record.values, id: record.id};
    if (at >= 0) list[at] = merged; else list.push(merged);
  }
  return rows;
}
