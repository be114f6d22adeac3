// Photos made smaller on the tablet: at most 1280 px on the long side, JPEG at the quality that fits ~200 KB.
const LONG_SIDE = 1280;
const MAX_BYTES = 200 * 1024;

export async function downscale(file) {
  // Return the photo in `file` as JPEG bytes of at most MAX_BYTES (a Uint8Array).
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, LONG_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  let blob = null;
  for (const quality of [0.8, 0.65, 0.5, 0.35, 0.2]) {
    blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));
    if (blob.size <= MAX_BYTES) break;
  }
  return new Uint8Array(await blob.arrayBuffer());
}
