// A stand-in node for looking at the UI in a plain browser (`npm run dev`): it answers from
// the saved fixtures. Never part of the app the shell embeds.

import type { Transport } from './api';

export function previewTransport(): Transport {
  return {
    async invoke<T>(): Promise<T> {
      throw { code: 'internal', message: 'preview' };
    },
    async listen() {
      return () => undefined;
    },
  };
}
