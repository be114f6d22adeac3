// This tablet as an enrolled sync link of its village node: its credentials and its clock.
// The credentials (link id, secret, the node's sealing key) are kept in IndexedDB encrypted with a device
// key: a non-extractable AES-GCM key that WebCrypto keeps in IndexedDB too and never hands to a script. Any
// worker on the tablet can push with them (the outbox is sealed to the node); none can read them out. A
// copied browser profile holds the device key as well: device encryption and a screen lock protect that.
import {Clock, enroll, makeVersion, newClaim, newTabletId} from "/static/field/protocol/index.js";
import {getMeta, setMeta} from "./store.js";

let creds = null;
let clock = null;

async function deviceKey() {
  let key = await getMeta("deviceKey");
  if (!key) {
    key = await crypto.subtle.generateKey({name: "AES-GCM", length: 256}, false, ["encrypt", "decrypt"]);
    await setMeta("deviceKey", key);
  }
  return key;
}

export async function credentials() {
  // The tablet's credentials, or null before it is enrolled.
  if (creds) return creds;
  const box = await getMeta("creds");
  if (!box) return null;
  const plain = await crypto.subtle.decrypt({name: "AES-GCM", iv: box.iv}, await deviceKey(), box.ct);
  creds = JSON.parse(new TextDecoder().decode(plain));
  return creds;
}

export async function enrollWith(code) {
  // Exchange a one-time code for this tablet's credentials and keep them; returns the credentials.
  // The claim and tablet id are kept first, so a retry after a lost answer gets the same credentials.
  code = code.replace(/[\s-]/g, "").toUpperCase();
  let pending = await getMeta("enrolling");
  if (!pending || pending.code !== code) {
    pending = {code, claim: newClaim(), tablet: newTabletId()};
    await setMeta("enrolling", pending);
  }
  const answer = await enroll("", code, pending.tablet, pending.claim);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt({name: "AES-GCM", iv}, await deviceKey(),
                                         new TextEncoder().encode(JSON.stringify(answer)));
  await setMeta("creds", {iv, ct});
  await setMeta("enrolling", null);
  creds = answer;
  return answer;
}

export async function nextVersion() {
  // A new version stamp of this tablet (its hybrid clock, kept across restarts).
  const {tablet_id: tabletId} = await credentials();
  clock = clock || new Clock(BigInt(await getMeta("hlc", "0")));
  const version = makeVersion(clock.now(), tabletId);
  await setMeta("hlc", clock.last.toString());
  return version;
}

export function observe(nodeClock) {
  // The node's clock, seen in an answer: our next stamps come after it.
  if (clock && nodeClock) clock.observe(nodeClock);
}
