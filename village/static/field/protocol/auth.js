// Request signatures and the tablet's random values, as sync/auth.py.
const encoder = new TextEncoder();

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

function bytesOf(body) {
  if (body === null || body === undefined) return new Uint8Array();
  return typeof body === "string" ? encoder.encode(body) : new Uint8Array(body);
}

/** Return the hex SHA-256 of `bytes` (a Uint8Array, an ArrayBuffer or text). */
export async function sha256Hex(bytes) {
  return hex(await crypto.subtle.digest("SHA-256", bytesOf(bytes)));
}

/** Return the hex HMAC-SHA256 signature of one request (the message Python's `sign` makes). */
export async function sign(secret, method, path, body, nonce, nodeId) {
  const message = [method.toUpperCase(), path, await sha256Hex(body), nonce, nodeId].join("\n");
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" },
    false, ["sign"]);
  return hex(await crypto.subtle.sign("HMAC", key, encoder.encode(message)));
}

function randomHex(bytes) {
  return hex(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** Return a new claim: random text the tablet keeps until it is enrolled (proves a retry is its own). */
export function newClaim() {
  return randomHex(24);
}

/** Return a new tablet id: the node id in the versions of the changes this tablet makes. */
export function newTabletId() {
  return "tab" + randomHex(8);
}
