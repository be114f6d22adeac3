// "Export unsynced": the outbox and the photos still waiting, as one file a clerk imports at the node
// (village/field/rescue.py), when the tablet cannot sync. The file holds a sync batch of the sealed entries (the
// same bytes a push sends), then the unlocked worker's photos, each decrypted only to be sealed to the node as an
// entry is, and the tablet's signature over all of it, so the node knows which tablet it came from. Only the node
// can read it, and importing it twice changes nothing (each record once, by its version; each photo once, by its
// SHA-256). A file holds at most what the node takes (forms.json's export.max_bytes): records first, then the
// photos that fit, those no earlier file carried first; the others stay here for the next file or sync.
import {sha256Hex, sign} from "/static/field/protocol/index.js";
import {b64, decryptWith, sealForNode} from "./crypt.js";
import {forms} from "./forms.js";
import {t} from "./i18n.js";
import {worker} from "./session.js";
import {byOwner, getMeta, pending, setMeta} from "./store.js";
import {outboxBatch} from "./syncer.js";
import {credentials} from "./tablet.js";

export const FORMAT = "village-tablet-export/2";
// What the signature is made over, as a request would be (sync/auth.py's sign): the file is its own request.
export const SIGNED_AS = ["POST", "/tablet/import", "export"];
const CARRIED = "exportedPhotos";  // meta: the SHA-256 of the photos an earlier file carried
const SEAL_ROOM = 256;  // a sealed photo's JSON besides its base64 bytes: names, key, iv, commas

export class TooLarge extends Error {}

function signedBytes(batch, photos) {
  // The batch, then a line per photo: what village/field/rescue.py's signed_body makes.
  const encoder = new TextEncoder();
  const parts = [batch, ...photos.map((p) => encoder.encode(`\n${p.sha256} ${p.size} ${p.eph} ${p.iv} ${p.ct}`))];
  const all = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  parts.reduce((at, part) => (all.set(part, at), at + part.length), 0);
  return all;
}

async function sealedPhotos(creds, room) {
  // The unlocked worker's photos still on the tablet, sealed to the node, as many as fit in `room` characters (those
  // no earlier file carried first); returns [sealed photos, how many did not fit]. Another worker's photos cannot be
  // opened in this session: they go in their own export, or sync.
  const who = worker();
  if (!who) return [[], 0];
  const before = new Set(await getMeta(CARRIED, []));
  const photos = (await byOwner("photos", who.username)).filter((p) => p.sha256)
    .sort((a, b) => before.has(a.sha256) - before.has(b.sha256));
  const sealed = [];
  let left = 0;
  for (const photo of photos) {
    if (4 * Math.ceil((photo.size + 16) / 3) + SEAL_ROOM > room) {
      left += 1;
      continue;
    }
    const bytes = await decryptWith(who.key, photo, true);
    if (await sha256Hex(bytes) !== photo.sha256) continue;  // damaged here: kept, never carried as another file
    const box = {sha256: photo.sha256, size: photo.size,
                 ...(await sealForNode(creds.hub_sealing_key, photo.sha256, bytes))};
    room -= JSON.stringify(box).length + 1;
    sealed.push(box);
  }
  const carried = new Set(sealed.map((p) => p.sha256));
  await setMeta(CARRIED, photos.map((p) => p.sha256).filter((sha) => before.has(sha) || carried.has(sha)));
  return [sealed, left];
}

export async function exportFile(entries) {
  // The export file (an object to write as JSON) of the outbox `entries` and the photos that fit with them.
  const creds = await credentials();
  const batch = await outboxBatch(entries);
  const most = forms().export.max_bytes;
  const file = {format: FORMAT, link: creds.node_id, tablet: creds.tablet_id, made_at: Date.now(),
                entries: entries.length, signature: "0".repeat(64), batch: b64(batch), photos: [], photos_left: 0};
  const room = most - JSON.stringify(file).length - 16;  // 16: the digits of photos_left
  if (room < 0) throw new TooLarge(t("The unsynced records alone are more than one file may hold (%(max)s MB): sync on the village Wi-Fi.",
                                     {max: Math.floor(most / 2 ** 20)}));
  const [photos, left] = await sealedPhotos(creds, room);
  const [method, path, nonce] = SIGNED_AS;
  const signature = await sign(creds.secret, method, path, signedBytes(batch, photos), nonce, creds.node_id);
  return {...file, photos, photos_left: left, signature};
}

export async function writeExport() {
  // Write the export file to the tablet's downloads; return what to tell the worker.
  const entries = await pending();
  let file;
  try {
    file = await exportFile(entries);
  } catch (error) {
    if (error instanceof TooLarge) return error.message;
    throw error;
  }
  const url = URL.createObjectURL(new Blob([JSON.stringify(file)], {type: "application/json"}));
  const link = Object.assign(document.createElement("a"), {href: url, download: `unsynced-${Date.now()}.json`});
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  const records = entries.filter((e) => !e.photo).length;
  const said = file.photos.length
    ? t("%(count)s unsynced records and %(photos)s photos written to the file.", {count: records, photos: file.photos.length})
    : t("%(count)s unsynced records written to the file.", {count: records});
  return file.photos_left
    ? `${said} ${t("%(left)s photos did not fit in it and stay on this tablet: export again to carry them.", {left: file.photos_left})}`
    : said;
}
