import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';
import { isolationSetupScript } from './src/ui/isolation-setup.ts';

/**
 * Where the app is served from: '/' by default, a sub-path such as '/visionthink-web/' for
 * GitHub Pages (`BASE_PATH=/visionthink-web/ npm run build`). Always starts and ends with '/'.
 */
function basePath(): string {
  const raw = process.env.BASE_PATH?.trim() ?? '/';
  return `/${raw.replace(/^\/+|\/+$/g, '')}/`.replace(/^\/\/$/, '/');
}

const COI_FILE = 'coi-serviceworker.js';

/** The longest the page waits for the isolation reload before it takes input all the same. */
const ISOLATION_WAIT_MS = 8000;

/** Runs before coi-serviceworker on every page load: see src/ui/isolation-setup.ts. */
const COI_SETUP = isolationSetupScript(ISOLATION_WAIT_MS);

/**
 * Cross-origin isolation where the host cannot set COOP/COEP headers (GitHub Pages, a static
 * Space): coi-serviceworker adds them from a service worker, so WASM gets threads. The script
 * must be a file of its own at the app's base (a service worker's scope is its folder) and run
 * before the app, so it is emitted unhashed and put first in <head>.
 */
function crossOriginIsolation(): Plugin {
  const source = readFileSync(
    createRequire(import.meta.url).resolve('coi-serviceworker/coi-serviceworker.min.js'),
    'utf8',
  );
  let base = '/';
  return {
    name: 'visionthink:cross-origin-isolation',
    configResolved(config) {
      base = config.base;
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        if (req.url?.split('?')[0] !== `${base}${COI_FILE}`) {
          next();
          return;
        }
        res.setHeader('Content-Type', 'text/javascript');
        res.end(source);
      });
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: COI_FILE, source });
    },
    transformIndexHtml: () => [
      // The app does nothing that needs isolation before the page reloads once under the worker.
      { tag: 'script', children: COI_SETUP, injectTo: 'head-prepend' },
      { tag: 'script', attrs: { src: `${base}${COI_FILE}` }, injectTo: 'head' },
    ],
  };
}

export default defineConfig({
  base: basePath(),
  plugins: [react(), crossOriginIsolation()],
  worker: { format: 'es' },
  server: { port: 5173 },
  preview: { port: 4173 },
});
