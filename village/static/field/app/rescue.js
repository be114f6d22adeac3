// "Export unsynced": the outbox as one file a clerk imports at the node (village/field/rescue.py), when the
// tablet cannot sync. The file holds a sync batch of the sealed entries (the same bytes a push sends) and
// the tablet's signature over it, so the node knows which tablet it came from; only the node can read it,
// and importing it twice changes nothing (each record is applied once, by its version).
import {sign} from "/static/field/protocol/index.js";
import {b64} from "./crypt.js";
import {outboxBatch} from "./syncer.js";
import {credentials} from "./tablet.js";

export const FORMAT = "village-tablet-export/1";
// What the signature is made over, as a request would be (sync/auth.py's sign): the file is its own request.
export const SIGNED_AS = ["POST", "/tablet/import", "export"];

export async function exportFile(entries) {
  const creds = await credentials();
  const bytes = await outboxBatch(entries);
  const [method, path, nonce] = SIGNED_AS;
  return {format: FORMAT, link: creds.node_id, tablet: creds.tablet_id, made_at: Date.now(), entries: entries.length,
          signature: await sign(creds.secret, method, path, bytes, nonce, creds.node_id), batch: b64(bytes)};
}
