// The one batch format (sync/batch.py): zlib-compressed compact JSON, changes stored column by column.
import { makeVersion, splitVersion } from "./clock.js";
import { dumps, loads } from "./json.js";

export const FORMAT = 1;
export const MAX_DECODED_BYTES = 32 * 1024 * 1024;

/** Bytes that are not a batch this program can read (damaged, truncated or too large). */
export class BadBatch extends Error {}

/** Return the changes as runs of columns of the same (table, op, fields), as Python's `_columns`. */
export function columns(changes) {
  const nodes = new Map(), areas = new Map(), runs = [];
  const index = (map, key) => (map.has(key) ? map.get(key) : (map.set(key, map.size), map.size - 1));
  let lastHlc = 0n, run = null, signature = null;
  for (const change of changes) {
    const keys = Object.keys(change.data);
    const sig = JSON.stringify([change.tbl, change.op, keys]);
    if (sig !== signature) {
      signature = sig;
      run = { t: change.tbl, o: change.op, k: keys, r: [], h: [], n: [], a: [], p: [], d: keys.map(() => []) };
      runs.push(run);
    }
    const [hlc, node] = splitVersion(change.version);
    run.r.push(change.row_id);
    run.h.push(hlc - lastHlc);
    lastHlc = hlc;
    run.n.push(index(nodes, node));
    run.a.push(index(areas, change.area));
    const prev = change.prev_area;
    run.p.push(prev === null || prev === undefined ? -1 : index(areas, prev));
    keys.forEach((key, j) => run.d[j].push(change.data[key]));
    if (change.base && Object.keys(change.base).length) {
      (run.b ??= {})[run.r.length - 1] = change.base;
    }
  }
  for (const one of runs) {
    // Columns that hold one repeated value (no moves, one node) shrink to that value.
    for (const name of ["n", "a", "p"]) {
      if (new Set(one[name]).size === 1) one[name] = one[name][0];
    }
  }
  return { nodes: [...nodes.keys()], areas: [...areas.keys()], runs };
}

/** Return the list of changes held by `cols` (the inverse of `columns`). */
export function rows(cols) {
  const out = [];
  let hlc = 0n;
  for (const run of cols.runs) {
    const count = run.r.length;
    const col = (name) => (Array.isArray(run[name]) ? run[name] : new Array(count).fill(run[name]));
    const n = col("n"), a = col("a"), p = col("p");
    for (let i = 0; i < count; i++) {
      hlc += BigInt(run.h[i]);
      const data = {};
      run.k.forEach((key, j) => { data[key] = run.d[j][i]; });
      out.push({
        tbl: run.t, op: run.o, row_id: run.r[i], version: makeVersion(hlc, cols.nodes[n[i]]),
        area: cols.areas[a[i]], prev_area: p[i] === -1 ? null : cols.areas[p[i]], data,
        base: (run.b && run.b[String(i)]) ?? null,
      });
    }
  }
  return out;
}

/** Return the JSON text Python's `encode` compresses for this envelope and these changes. */
export function batchJSON(envelope, changes) {
  return dumps({ ...envelope, v: FORMAT, c: columns(changes) });
}

async function pipe(bytes, stream, limit) {
  const reader = new Blob([bytes]).stream().pipeThrough(stream).getReader();
  const parts = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel();
      throw new BadBatch("batch too large");
    }
    parts.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) { out.set(part, at); at += part.length; }
  return out;
}

/** Return the compressed bytes (Uint8Array) of `envelope` carrying `changes`. */
export async function encodeBatch(envelope, changes) {
  const raw = new TextEncoder().encode(batchJSON(envelope, changes));
  return pipe(raw, new CompressionStream("deflate"), Infinity);
}

/** Return {envelope, changes} of compressed batch bytes; throw BadBatch when unreadable. */
export async function decodeBatch(bytes, limit = MAX_DECODED_BYTES) {
  let body;
  try {
    const raw = await pipe(bytes, new DecompressionStream("deflate"), limit);
    body = loads(new TextDecoder("utf-8", { fatal: true }).decode(raw));
  } catch (error) {
    throw error instanceof BadBatch ? error : new BadBatch(String(error.message || error));
  }
  if (!body || typeof body !== "object" || body.v !== FORMAT) throw new BadBatch("unknown batch format");
  const { v, c, ...envelope } = body;
  try {
    return { envelope, changes: rows(c) };
  } catch (error) {
    throw new BadBatch(String(error.message || error));
  }
}
