import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

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

/**
 * Runs before coi-serviceworker. Its settings are merged, so a test can set `window.coi` first
 * (e.g. to keep the worker out). coi-serviceworker reloads the page when its worker is found; if
 * the worker was not active yet, the reloaded page is not controlled and stays without
 * isolation, so the page reloads once more when the worker takes control of it.
 *
 * `window.__isolationSettled` resolves once the page will not reload for isolation any more
 * (already isolated, isolation unavailable, or the worker could not register); while a reload is
 * coming it stays pending, so the app takes no input that the reload would lose. It also settles
 * after a time limit, so a worker that never answers cannot hold the page.
 */
const COI_SETUP = `window.coi = { quiet: true, ...window.coi };
window.__isolationSettled = new Promise((settle) => {
  const sw = navigator.serviceWorker;
  const registers = window.crossOriginIsolated === false && window.isSecureContext && sw &&
    (!window.coi.shouldRegister || window.coi.shouldRegister());
  if (!registers) return settle(window.crossOriginIsolated ? 'isolated' : 'unavailable');
  sw.addEventListener('controllerchange', () => {
    if (!window.crossOriginIsolated) window.location.reload();
  });
  const register = sw.register.bind(sw);
  sw.register = (...args) => {
    const registering = register(...args);
    registering.then(
      // Already controlled yet not isolated: this browser does not isolate through the worker.
      () => { if (sw.controller) settle('unavailable'); },
      () => settle('failed'),
    );
    return registering;
  };
  setTimeout(() => settle('timeout'), ${String(ISOLATION_WAIT_MS)});
});`;

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
