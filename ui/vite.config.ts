import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';
import { nodeBridge } from './dev/node-bridge.ts';

// The shell (src-tauri) embeds `dist/`; in development it loads the dev server on 5173.
// WEFT_DEV_SOCKET (development only) points a plain browser at a running `weft serve`.
const socket = process.env.WEFT_DEV_SOCKET;

export default defineConfig({
  plugins: [svelte(), ...(socket ? [nodeBridge(socket)] : [])],
  define: { __WEFT_BRIDGE__: JSON.stringify(!!socket) },
  base: './',
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // WebKitGTK (Linux) and WebKit (macOS) run the app: Safari 15's language level is safe.
    target: 'safari15',
    chunkSizeWarningLimit: 600,
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
