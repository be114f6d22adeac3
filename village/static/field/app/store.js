// The tablet's IndexedDB: worker profiles, each worker's encrypted records and photos, the sealed outbox,
// and small facts (last sync, the node's key). A record and its outbox entry are written in one transaction
// with durability "strict": both are on disk, or neither.
const NAME = "village-field";
const STORES = {workers: "username", records: "id", outbox: "id", snapshots: "owner", photos: "id", meta: "key"};
let opened = null;

export function openStore() {
  opened = opened || new Promise((resolve, reject) => {
    const request = indexedDB.open(NAME, 1);
    request.onupgradeneeded = () => {
      for (const [name, keyPath] of Object.entries(STORES)) {
        const store = request.result.createObjectStore(name, {keyPath});
        if (name === "records" || name === "photos") store.createIndex("owner", "owner");
      }
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return opened;
}

const done = (request) => new Promise((resolve, reject) => {
  request.onsuccess = () => resolve(request.result);
  request.onerror = () => reject(request.error);
});

async function run(names, mode, work) {
  // Run `work(stores)` in one transaction; resolve with its result once the transaction is committed.
  const db = await openStore();
  const tx = db.transaction(names, mode, mode === "readwrite" ? {durability: "strict"} : undefined);
  const stores = Object.fromEntries([names].flat().map((n) => [n, tx.objectStore(n)]));
  const result = work(stores);
  await new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("aborted"));
  });
  return result instanceof IDBRequest ? result.result : result;
}

export const get = (store, key) => run(store, "readonly", (s) => s[store].get(key));
export const all = (store) => run(store, "readonly", (s) => s[store].getAll());
export const put = (store, value) => run(store, "readwrite", (s) => s[store].put(value));
export const count = (store) => run(store, "readonly", (s) => s[store].count());
export const byOwner = (store, owner) => run(store, "readonly", (s) => s[store].index("owner").getAll(owner));

export async function getMeta(key, fallback = null) {
  const row = await get("meta", key);
  return row ? row.value : fallback;
}

export const setMeta = (key, value) => put("meta", {key, value});

export function saveWithEntries(record, entries, photos = []) {
  // Write a worker's encrypted record, its sealed outbox entries (its own, its photos') and its photos in one
  // strict transaction. The entries take the tablet's next outbox numbers there: the span a sync batch declares
  // (never the wall clock, which a worker may set back).
  return run(["records", "outbox", "photos", "meta"], "readwrite", (s) => {
    s.records.put(record);
    const last = s.meta.get("outboxSeq");
    last.onsuccess = () => {
      let seq = last.result ? last.result.value : 0;
      for (const entry of entries) s.outbox.put({...entry, seq: ++seq});
      s.meta.put({key: "outboxSeq", value: seq});
    };
    for (const photo of photos) s.photos.put(photo);
  });
}

export function dropPhotos(ids) {
  // The node holds these photos (their records went before them): their bytes leave the tablet.
  return run("photos", "readwrite", (s) => ids.forEach((id) => s.photos.delete(id)));
}

export async function pending() {
  // The outbox in the order it was written.
  return (await all("outbox")).sort((a, b) => a.seq - b.seq);
}

export function removeSent(ids, cursor) {
  // The node took these entries (up to its cursor `cursor`): drop them and keep the cursor, in one transaction.
  return run(["outbox", "meta"], "readwrite", (s) => {
    ids.forEach((id) => s.outbox.delete(id));
    s.meta.put({key: "pushCursor", value: cursor});
  });
}

export function markRefused(refused) {
  // [{id, problems}]: entries the node held back (in its quarantine), kept here marked and not sent again.
  return run("outbox", "readwrite", (s) => {
    for (const {id, problems} of refused) {
      const request = s.outbox.get(id);
      request.onsuccess = () => request.result && s.outbox.put({...request.result, refused: problems});
    }
  });
}

export function forgetWorker(username) {
  // A worker the node no longer counts (disabled): their profile (and so their key), records, photos, copy of
  // the village and outbox entries the node holds (refused: kept in its quarantine) go, in one transaction.
  return run(["workers", "records", "photos", "snapshots", "outbox"], "readwrite", (s) => {
    s.workers.delete(username);
    s.snapshots.delete(username);
    for (const name of ["records", "photos"]) {
      const keys = s[name].index("owner").getAllKeys(username);
      keys.onsuccess = () => keys.result.forEach((key) => s[name].delete(key));
    }
    const entries = s.outbox.getAll();
    entries.onsuccess = () => entries.result.filter((e) => e.owner === username && e.refused)
      .forEach((e) => s.outbox.delete(e.id));
  });
}
