// Scanning an invitation's QR code with a camera: what to ask for and what to say when it fails.
import { msg, type Msg } from './i18n';

/** What the scanner asks for: video only, the back camera where there is one, HD at most. */
export const CAMERA_CONSTRAINTS: MediaStreamConstraints = {
  audio: false,
  video: { facingMode: { ideal: 'environment' }, width: { ideal: 1280 }, height: { ideal: 720 } },
};

/** How often a frame is read: often enough to feel instant, rarely enough to stay cool. */
export const SCAN_EVERY_MS = 200;

/** Frames are scaled to at most this many pixels across before decoding. */
export const SCAN_WIDTH = 800;

/** Whether this web view offers cameras at all. */
export function cameraSupported(nav: { mediaDevices?: { getUserMedia?: unknown } } | undefined): boolean {
  return typeof nav?.mediaDevices?.getUserMedia === 'function';
}

/** The size a frame is decoded at: scaled down to `SCAN_WIDTH` across, never up. */
export function scanSize(width: number, height: number): { width: number; height: number } {
  if (width <= 0 || height <= 0) return { width: 0, height: 0 };
  const scale = Math.min(1, SCAN_WIDTH / width);
  return { width: Math.round(width * scale), height: Math.max(1, Math.round(height * scale)) };
}

/** Why the camera could not be used, in words, with what to do (from getUserMedia's error). */
export function cameraError(e: unknown): Msg {
  const name = typeof e === 'object' && e !== null && 'name' in e ? String((e as { name: unknown }).name) : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return msg('scan.denied');
    case 'NotFoundError':
    case 'OverconstrainedError':
      return msg('scan.noCamera');
    case 'NotReadableError':
    case 'AbortError':
      return msg('scan.busy');
    default:
      return msg('scan.failed');
  }
}
