import QRCode from 'qrcode';
import { describe, expect, it } from 'vitest';
import { SCAN_WIDTH, cameraError, cameraSupported, scanSize } from './camera';
import { decodeQrPixels, invitationFrom } from './links';

/** A QR code drawn as a camera frame would hold it: RGBA, `scale` pixels a module, a margin. */
function qrFrame(text: string, scale = 5, margin = 24): { rgba: Uint8ClampedArray; size: number } {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const size = modules.size * scale + 2 * margin;
  const rgba = new Uint8ClampedArray(size * size * 4).fill(255);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const mx = Math.floor((x - margin) / scale);
      const my = Math.floor((y - margin) / scale);
      const inside = mx >= 0 && my >= 0 && mx < modules.size && my < modules.size;
      if (inside && modules.get(my, mx)) {
        const i = (y * size + x) * 4;
        rgba[i] = rgba[i + 1] = rgba[i + 2] = 20;
      }
    }
  }
  return { rgba, size };
}

describe('reading a QR code from a frame', () => {
  it('finds the invitation link in a frame that shows its code', async () => {
    const link = `weft://join/${'a'.repeat(48)}?via=%2Fip4%2F10.0.0.2%2Ftcp%2F4001`;
    const { rgba, size } = qrFrame(link);
    const text = await decodeQrPixels(rgba, size, size);
    expect(text).toBe(link);
    expect(invitationFrom(text ?? '')).toBe(link);
  });

  it('finds nothing in a frame without a code', async () => {
    const size = 120;
    const rgba = new Uint8ClampedArray(size * size * 4);
    for (let i = 0; i < rgba.length; i += 4) rgba[i] = rgba[i + 1] = rgba[i + 2] = (i / 4) % 256;
    expect(await decodeQrPixels(rgba, size, size)).toBeNull();
  });
});

describe('the camera', () => {
  it('explains each way getUserMedia can fail, with what to do', () => {
    const err = (name: string) => Object.assign(new Error(name), { name });
    expect(cameraError(err('NotAllowedError'))).toEqual({ key: 'scan.denied' });
    expect(cameraError(err('SecurityError'))).toEqual({ key: 'scan.denied' });
    expect(cameraError(err('NotFoundError'))).toEqual({ key: 'scan.noCamera' });
    expect(cameraError(err('OverconstrainedError'))).toEqual({ key: 'scan.noCamera' });
    expect(cameraError(err('NotReadableError'))).toEqual({ key: 'scan.busy' });
    expect(cameraError('something odd')).toEqual({ key: 'scan.failed' });
    expect(cameraError(null)).toEqual({ key: 'scan.failed' });
  });

  it('is offered only where the web view has getUserMedia', () => {
    expect(cameraSupported(undefined)).toBe(false);
    expect(cameraSupported({})).toBe(false);
    expect(cameraSupported({ mediaDevices: {} })).toBe(false);
    expect(cameraSupported({ mediaDevices: { getUserMedia: () => undefined } })).toBe(true);
  });

  it('scales frames down for decoding, never up', () => {
    expect(scanSize(1280, 720)).toEqual({ width: SCAN_WIDTH, height: 450 });
    expect(scanSize(640, 480)).toEqual({ width: 640, height: 480 });
    expect(scanSize(0, 0)).toEqual({ width: 0, height: 0 });
  });
});
