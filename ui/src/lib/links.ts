// Invitations arriving by link, QR image or paste.

/** The `weft://join/…` link in a text (a QR's contents, a pasted message), if any. */
export function findJoinLink(text: string): string | null {
  const m = /weft:\/\/join\/[A-Za-z2-7-]+(?:\?[^\s"'<>]*)?/.exec(text);
  return m ? m[0] : null;
}

/** Whether a link is a neighbour invitation (to link communities), not a member's. */
export function isNeighbourLink(link: string): boolean {
  const query = link.split('?')[1] ?? '';
  return query.split('&').includes('k=neighbour');
}

/** Whether a link is a pairing code of the member's other computer (to link this one). */
export function isDeviceLink(link: string): boolean {
  const query = link.split('?')[1] ?? '';
  return query.split('&').includes('k=device');
}

/** Text a QR code or a paste gave: a link inside it, else the text itself trimmed. */
export function invitationFrom(text: string): string {
  return findJoinLink(text) ?? text.trim();
}

/** Reads a QR code in RGBA pixels (an image, a camera frame): its text, or null. */
export async function decodeQrPixels(rgba: Uint8ClampedArray, width: number, height: number): Promise<string | null> {
  const { default: jsQR } = await import('jsqr');
  const code = jsQR(rgba, width, height, { inversionAttempts: 'attemptBoth' });
  return code ? code.data : null;
}

/** Reads a QR code in an image file (a photo or screenshot of an invitation). */
export async function decodeQrImage(file: Blob): Promise<string | null> {
  const bitmap = await createImageBitmap(file);
  // Large photos are scaled down: the decoder is quicker and as reliable.
  const scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
  const w = Math.max(1, Math.round(bitmap.width * scale));
  const h = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d');
  if (!ctx) return null;
  ctx.drawImage(bitmap, 0, 0, w, h);
  const data = ctx.getImageData(0, 0, w, h);
  return decodeQrPixels(data.data, w, h);
}
