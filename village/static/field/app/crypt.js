// Keys and encryption on the tablet (WebCrypto only, so only in a secure context).
// A worker's records are AES-GCM encrypted with their own data key; that key is kept wrapped by a key
// derived from their password (PBKDF2-SHA256). Outbox entries are sealed to the node's X25519 key, so any
// worker can push them and only the node can read them (village/field/outbox.py opens them).
const subtle = globalThis.crypto && crypto.subtle;
const enc = new TextEncoder();
const dec = new TextDecoder();
const SEAL_INFO = enc.encode("village-tablet-seal/1");

export function b64(bytes) {
  const all = new Uint8Array(bytes);
  let text = "";
  for (let i = 0; i < all.length; i += 0x8000) text += String.fromCharCode(...all.subarray(i, i + 0x8000));
  return btoa(text);
}
export const unb64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
export const randomBytes = (n) => crypto.getRandomValues(new Uint8Array(n));

export function newId() {
  // A UUID made on the tablet (crypto.randomUUID uses the same random source as getRandomValues).
  return crypto.randomUUID();
}

async function passwordBits(password, salt, iterations) {
  const base = await subtle.importKey("raw", enc.encode(password), "PBKDF2", false, ["deriveBits"]);
  return new Uint8Array(await subtle.deriveBits({name: "PBKDF2", hash: "SHA-256", salt, iterations}, base, 512));
}

async function verifierOf(bits) {
  return b64(await subtle.digest("SHA-256", bits.slice(0, 32)));
}

async function wrappingKey(bits) {
  return subtle.importKey("raw", bits.slice(32), "AES-GCM", false, ["encrypt", "decrypt"]);
}

export async function makeProfile(username, password, iterations) {
  // A new worker profile: a random data key, wrapped by the password's key; returns [profile, dataKey].
  const salt = randomBytes(16);
  const bits = await passwordBits(password, salt, iterations);
  const raw = randomBytes(32);
  const iv = randomBytes(12);
  const wrapped = await subtle.encrypt({name: "AES-GCM", iv}, await wrappingKey(bits), raw);
  const profile = {username, salt: b64(salt), iterations, verifier: await verifierOf(bits), wrapped: b64(wrapped),
                   wrapIv: b64(iv), failures: 0};
  return [profile, await subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"])];
}

export async function openProfile(profile, password) {
  // Return the worker's data key when `password` is theirs, else null.
  const bits = await passwordBits(password, unb64(profile.salt), profile.iterations);
  if (await verifierOf(bits) !== profile.verifier) return null;
  const raw = await subtle.decrypt({name: "AES-GCM", iv: unb64(profile.wrapIv)}, await wrappingKey(bits),
                                   unb64(profile.wrapped));
  return subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
}

export async function encryptFor(key, value) {
  const iv = randomBytes(12);
  const data = value instanceof Uint8Array ? value : enc.encode(JSON.stringify(value));
  return {iv: b64(iv), ct: new Uint8Array(await subtle.encrypt({name: "AES-GCM", iv}, key, data))};
}

export async function decryptWith(key, box, raw = false) {
  const plain = await subtle.decrypt({name: "AES-GCM", iv: unb64(box.iv)}, key, box.ct);
  return raw ? new Uint8Array(plain) : JSON.parse(dec.decode(plain));
}

export async function sealForNode(nodeKeyText, entryId, payload) {
  // Seal `payload` (JSON, or bytes as they are: a photo) to the node under the name `entryId` (associated data):
  // a one-time X25519 key, HKDF-SHA256 over both public keys, AES-256-GCM.
  const nodeRaw = unb64(nodeKeyText);
  const nodeKey = await subtle.importKey("raw", nodeRaw, {name: "X25519"}, false, []);
  const pair = await subtle.generateKey({name: "X25519"}, true, ["deriveBits"]);
  const ephRaw = new Uint8Array(await subtle.exportKey("raw", pair.publicKey));
  const shared = await subtle.deriveBits({name: "X25519", public: nodeKey}, pair.privateKey, 256);
  const hkdf = await subtle.importKey("raw", shared, "HKDF", false, ["deriveKey"]);
  const salt = new Uint8Array([...ephRaw, ...nodeRaw]);
  const key = await subtle.deriveKey({name: "HKDF", hash: "SHA-256", salt, info: SEAL_INFO}, hkdf,
                                     {name: "AES-GCM", length: 256}, false, ["encrypt"]);
  const iv = randomBytes(12);
  const plain = payload instanceof Uint8Array ? payload : enc.encode(JSON.stringify(payload));
  const ct = await subtle.encrypt({name: "AES-GCM", iv, additionalData: enc.encode(entryId)}, key, plain);
  return {eph: b64(ephRaw), iv: b64(iv), ct: b64(ct)};
}
