// The file lane, the tablet's side (as sync/filelane.py's send_files): after the records, ask the node which
// files it holds or wants and from which byte, then send the wanted ones in pieces. A piece names the file, its
// size and its offset in the signed path, so a break costs at most one piece: the next try goes on where the
// node's copy ends. The node takes a file only when a record it holds (one this tablet pushed) names it.
import { SyncError } from "./client.js";

export const PIECE = 256 * 1024; // as sync/filelane.py: a break on a slow link costs little
export const MAX_ASK = 500; // files named in one "which do you hold" question
const RETRIES = 3; // failed pieces in a row before the lane gives up until the next sync
// What the node answers for a file it will not take now: no record names it yet (or any more), or its bytes are
// not what the record says. The file waits on the tablet; it is not lost.
const WAITS = ["file_unknown", "file_refused"];

/**
 * Send the node every file of `files` ([{sha, size}]) it wants; `bytesOf(file)` gives a file's bytes (a
 * Uint8Array), asked only for a file the node wants, or null to leave it for now (its bytes are not the ones
 * named). Return the shas the node holds now (sent, or held before).
 * Throws SyncError ("unreachable") after RETRIES failed pieces in a row; what was sent stays sent.
 */
export async function sendFiles(client, files, bytesOf) {
  const held = [];
  for (let i = 0; i < files.length; i += MAX_ASK) {
    const batch = files.slice(i, i + MAX_ASK);
    const answer = await client.filesHave(batch.map((f) => [f.sha, f.size]));
    const asked = new Set(batch.map((f) => f.sha));
    held.push(...(answer.have || []).filter((sha) => asked.has(sha)));
    for (const file of batch) {
      const offset = (answer.want || {})[file.sha];
      if (!Number.isInteger(offset) || offset < 0 || offset > file.size) continue;
      const bytes = await bytesOf(file);
      if (bytes && bytes.length === file.size && await upload(client, file, bytes, offset)) held.push(file.sha);
    }
  }
  return held;
}

async function upload(client, file, bytes, offset) {
  // Send `bytes` from `offset` in pieces; return true once the node holds the file, false when it will not take it.
  let failures = 0;
  for (;;) {
    let held = offset, done = false;
    try {
      const answer = await client.sendPiece(file.sha, file.size, offset, bytes.subarray(offset, offset + PIECE));
      held = Number(answer.received);
      done = answer.done === true;
    } catch (error) {
      if (!(error instanceof SyncError)) throw error;
      if (WAITS.includes(error.code)) return false;
      if (error.code === "file_offset" || error.code === "file_mismatch") {
        held = Number(error.extra.offset) || 0; // the node's copy ends elsewhere (a lost answer, or thrown away)
      } else if (error.code !== "unreachable") {
        throw error;
      }
    }
    if (done) return true;
    failures = held > offset && held <= file.size ? 0 : failures + 1;
    if (failures >= RETRIES) {
      throw new SyncError(`file ${file.sha.slice(0, 12)}… could not be sent (stopped at byte ${offset} of ${file.size})`);
    }
    offset = held >= 0 && held <= file.size ? held : 0;
  }
}
