// HTTP to the village node's /sync/ endpoints, as sync/transport.py: one method per endpoint.
import { sign } from "./auth.js";
import { decodeBatch, encodeBatch } from "./batch.js";

const BATCH_TYPE = "application/x-village-batch";
const JSON_TYPE = "application/json";
const BLOB_TYPE = "application/octet-stream";

/** The node could not be reached (code "unreachable") or refused the request (its error code). */
export class SyncError extends Error {
  constructor(message, status = null, code = "unreachable", extra = {}) {
    super(message);
    Object.assign(this, { status, code, extra });
  }
}

async function errorOf(response) {
  try {
    const { error } = await response.json();
    const { code, message, ...extra } = error;
    return new SyncError(message, response.status, code, extra);
  } catch {
    if ([502, 503, 504].includes(response.status)) {
      return new SyncError(`the node is unavailable (HTTP ${response.status})`, response.status);
    }
    return new SyncError(`the node answered HTTP ${response.status}`, response.status,
      response.status === 413 ? "too_large" : "http_error");
  }
}

/** A connection to one node, with this tablet's credentials (none before enrollment). */
export class NodeClient {
  constructor(baseUrl = "", creds = null, timeoutMs = 60000) {
    this.baseUrl = baseUrl.replace(/\/$/, "");
    this.creds = creds;
    this.timeoutMs = timeoutMs;
    this.nonce = null;
    this.nodeTime = null; // the node's wall clock (ms) at its last answer
    this.nodeClock = null; // the node's hybrid clock (BigInt) at its last answer
  }

  /** Ask for a nonce and the node's time (the reachability probe); signed once enrolled. */
  async ping() {
    let headers = {};
    if (this.creds) {
      const nonce = "ping-" + crypto.getRandomValues(new Uint32Array(3)).join("");
      headers = { "X-Sync-Node": this.creds.node_id, "X-Sync-Nonce": nonce,
        "X-Sync-Signature": await sign(this.creds.secret, "GET", "/sync/ping", null, nonce, this.creds.node_id) };
    }
    return (await this.request("GET", "/sync/ping", null, null, headers)).json();
  }

  /** Exchange a one-time code for this tablet's credentials; `claim` proves a retry is ours. */
  async enroll(code, tabletId, claim) {
    const body = JSON.stringify({ code, node_id: tabletId, claim });
    return (await this.request("POST", "/sync/enroll", body, JSON_TYPE)).json();
  }

  /** Encode and send one batch; return the node's acknowledgement. */
  async push(envelope, changes) {
    return this.pushBytes(await encodeBatch(envelope, changes));
  }

  /** Send one batch already encoded (a retry sends the very same bytes); return the acknowledgement. */
  async pushBytes(bytes) {
    return (await this.signed("POST", "/sync/push", bytes, BATCH_TYPE)).json();
  }

  /** Ask for up to `limit` changes after node seq `cursor`; return {envelope: {last, more}, changes}. */
  async pull(cursor, limit = 1000) {
    const response = await this.signed("POST", "/sync/pull", JSON.stringify({ cursor, limit }), JSON_TYPE);
    return decodeBatch(new Uint8Array(await response.arrayBuffer()));
  }

  /** Ask for one page of a first load: the live records after `after` ([table, id], or null: from the start), at
   *  most `limit` changes; return {envelope: {cursor, more, after, epochs}, changes}. Pull on from the first
   *  page's `cursor` once `more` is false. */
  async snapshot(after = null, limit = 1000) {
    const response = await this.signed("POST", "/sync/snapshot", JSON.stringify({ after, limit }), JSON_TYPE);
    return decodeBatch(new Uint8Array(await response.arrayBuffer()));
  }

  /** Ask which of `files` ([[sha256, size]], at most 500) the node holds, wants (from which byte) or knows no record of. */
  async filesHave(files) {
    return (await this.signed("POST", "/sync/files/have", JSON.stringify({ files }), JSON_TYPE)).json();
  }

  /** Send `bytes` as bytes `offset`.. of the file `sha` (`size` bytes in all); return {received, done}. */
  async sendPiece(sha, size, offset, bytes) {
    return (await this.signed("POST", `/sync/files/${sha}/${size}/${offset}`, bytes, BLOB_TYPE)).json();
  }

  /** Send a signed request; on a stale nonce, once more with the fresh one. */
  async signed(method, path, body, contentType) {
    const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
    for (let attempt = 0; ; attempt++) {
      if (this.nonce === null) await this.ping();
      const nonce = this.nonce;
      this.nonce = null;
      const { node_id: nodeId, secret } = this.creds;
      const headers = { "X-Sync-Node": nodeId, "X-Sync-Nonce": nonce, "X-Sync-Time": String(Date.now()),
        "X-Sync-Signature": await sign(secret, method, path, bytes, nonce, nodeId) };
      try {
        return await this.request(method, path, bytes, contentType, headers);
      } catch (error) {
        if (error.code !== "stale_nonce" || attempt) throw error;
      }
    }
  }

  async request(method, path, body, contentType, headers = {}) {
    if (contentType) headers["Content-Type"] = contentType;
    let response;
    try {
      response = await fetch(this.baseUrl + path, { method, body, headers, cache: "no-store",
        credentials: "omit", signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw new SyncError(`the node at ${this.baseUrl || location.origin} did not answer: ${error.name}`);
    }
    // Every answer carries the next nonce, errors too.
    this.nonce = response.headers.get("X-Sync-Nonce") || this.nonce;
    const time = response.headers.get("X-Sync-Time"), clock = response.headers.get("X-Sync-Clock");
    if (time) this.nodeTime = Number(time);
    if (clock) this.nodeClock = BigInt("0x" + clock);
    if (!response.ok) throw await errorOf(response);
    return response;
  }
}
