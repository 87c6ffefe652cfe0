// Saving what the node exports to a file the member chooses: the save dialog, then the shell
// writes the bytes (`save_file` takes them in base64).

import { saveFile } from './api';

/** Bytes as base64 (for `save_file`), in chunks so a large file fits the call stack. */
export function base64OfBytes(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** UTF-8 text as base64. */
export function base64OfText(text: string): string {
  return base64OfBytes(new TextEncoder().encode(text));
}

/** Asks where to save (`title` on the dialog) and saves there: the path, or null if the member cancelled. */
export async function saveWithDialog(suggestedName: string, base64: string, title: string): Promise<string | null> {
  const { save } = await import('@tauri-apps/plugin-dialog');
  const path = await save({ defaultPath: suggestedName, title });
  if (!path) return null;
  await saveFile(path, base64);
  return path;
}
