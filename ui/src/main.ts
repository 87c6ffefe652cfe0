import { mount } from 'svelte';
import App from './App.svelte';
import { inTauri, setTransport, tauriTransport } from './lib/api';
import { start } from './lib/app.svelte';
import { applySettings } from './lib/settings.svelte';
import './app.css';

async function boot(): Promise<void> {
  applySettings();
  if (inTauri()) {
    setTransport(await tauriTransport());
  } else if (import.meta.env.DEV || import.meta.env.VITE_WEFT_PREVIEW) {
    // In a plain browser (design work, screenshots) a small in-memory node stands in.
    const { previewTransport } = await import('./lib/preview');
    setTransport(previewTransport());
  }
  mount(App, { target: document.getElementById('app')! });
  await start();
}

void boot();
