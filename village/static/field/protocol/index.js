// The tablet's side of the sync protocol: see README.md in this folder for the API.
import { newClaim, newTabletId } from "./auth.js";
import { NodeClient } from "./client.js";

export { newClaim, newTabletId, sha256Hex, sign } from "./auth.js";
export { BadBatch, batchJSON, columns, decodeBatch, encodeBatch, rows } from "./batch.js";
export { Clock, makeVersion, physicalMs, splitVersion } from "./clock.js";
export { NodeClient, SyncError } from "./client.js";
export { MAX_ASK, PIECE, sendFiles } from "./files.js";
export { dumps, loads } from "./json.js";

/** Enroll this tablet at the node with a one-time code; return its credentials (keep them). */
export async function enroll(baseUrl, code, tabletId = newTabletId(), claim = newClaim()) {
  const answer = await new NodeClient(baseUrl).enroll(code, tabletId, claim);
  return { ...answer, tablet_id: tabletId };
}

/** Push one batch covering the tablet's outbox span (start, end]; return the acknowledgement. */
export async function pushBatch(baseUrl, creds, envelope, changes) {
  return new NodeClient(baseUrl, creds).push(envelope, changes);
}

/** Pull every batch after `cursor`, calling `await onBatch(changes, envelope)` for each; return the last cursor. */
export async function pullAll(baseUrl, creds, cursor, onBatch, limit = 1000) {
  const client = new NodeClient(baseUrl, creds);
  for (;;) {
    const { envelope, changes } = await client.pull(cursor, limit);
    await onBatch(changes, envelope);
    cursor = envelope.last;
    if (!envelope.more) return cursor;
  }
}
