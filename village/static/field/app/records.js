// What a worker captures: each record encrypted with their key and, in the same transaction, an outbox
// entry sealed to the node. A photo is kept encrypted too, and becomes an attachments record (sealed like the
// others) whose id the visit's answers name; its bytes follow on the file lane (syncer.js). What the tablet
// holds of its village is the worker's copy (copy.js); the worker's own records are laid over it (village()).
import {decryptWith, encryptFor, newId, sealForNode} from "./crypt.js";
import {forms} from "./forms.js";
import {byOwner, get, pending, saveWithEntries} from "./store.js";
import {held, pulledUpTo} from "./copy.js";
import {worker} from "./session.js";
import {credentials, nextVersion} from "./tablet.js";
import {sha256Hex} from "/static/field/protocol/index.js";

async function sealed(creds, username, table, recordId, values, savedAt, seen) {
  // One outbox entry: the record sealed to the node. Its version travels in clear (the node deduplicates by it)
  // and sealed (so it cannot be swapped). `seen`: how far this worker's copy of the village was pulled, so the
  // node tells a conflict from an edit.
  const id = newId();
  const version = await nextVersion();
  const payload = {id, table, record: recordId, values, worker: username, saved_at: savedAt, version, seen};
  return {id, owner: username, record: recordId, version, ...(await sealForNode(creds.hub_sealing_key, id, payload))};
}

export async function capture(table, values, recordId = newId(), photos = []) {
  // Save one record of the unlocked worker (new or edited) and its photos ([{id, bytes}]: each id becomes its
  // attachments record's); returns the record's id. Needs an enrolled tablet.
  const {username, key} = worker();
  const creds = await credentials();
  if (!creds) throw new Error("not enrolled");
  const savedAt = Date.now();
  const seen = await pulledUpTo();
  const entries = [await sealed(creds, username, table, recordId, values, savedAt, seen)];
  const {version} = entries[0];
  // Kept for the worker to see, each field with its version: with what they changed of this record before (an
  // edit sends only its changes), shown over the village's copy where it is the newer (village()).
  const before = await get("records", recordId);
  const earlier = before && before.owner === username ? await decryptWith(key, before) : {};
  const versions = {...earlier.versions, ...Object.fromEntries(Object.keys(values).map((name) => [name, version]))};
  const box = await encryptFor(key, {table, values: {...earlier.values, ...values}, versions});
  const record = {id: recordId, owner: username, table, savedAt, ...box};
  const kept = [];
  for (const photo of photos) {
    const sha256 = await sha256Hex(photo.bytes);
    const size = photo.bytes.length;
    const attachment = {...forms().photo, owner_id: recordId, sha256, size, name: "photo.jpg",
                        taken_on: values.visited_on || null};
    // Marked in clear as a photo's: the status bar counts it with the photos waiting, not with the records.
    entries.push({...(await sealed(creds, username, "attachments", photo.id, attachment, savedAt, seen)),
                  photo: true});
    kept.push({id: photo.id, owner: username, record: recordId, size, sha256, ...(await encryptFor(key, photo.bytes))});
  }
  await saveWithEntries(record, entries, kept);
  return recordId;
}

export async function mine() {
  // The unlocked worker's own records, decrypted: [{id, table, values, versions, savedAt, unsynced}].
  const {username, key} = worker();
  const waiting = new Set((await pending()).map((e) => e.record));
  const rows = await byOwner("records", username);
  const out = [];
  for (const row of rows) {
    const {table, values, versions} = await decryptWith(key, row);
    out.push({id: row.id, table, values, versions, savedAt: row.savedAt, unsynced: waiting.has(row.id)});
  }
  return out.sort((a, b) => b.savedAt - a.savedAt);
}

export async function village() {
  // {table: [records]}: the snapshot with the worker's own later edits laid over it.
  const rows = await held();
  for (const record of await mine()) {
    if (record.table === "visits") continue;
    const list = rows[record.table] = rows[record.table] || [];
    const at = list.findIndex((r) => r.id === record.id);
    const stored = at >= 0 ? list[at] : {};
    // The worker's value where it is the newer (a conflict lost at the node shows the value kept there).
    const ours = Object.entries(record.values).filter(([name]) =>
      !record.versions || !stored._fv?.[name] || (record.versions[name] || "") > stored._fv[name]);
    const merged = {...stored, ...Object.fromEntries(ours), id: record.id};
    if (at >= 0) list[at] = merged; else list.push(merged);
  }
  return rows;
}
