/**
 * The inline script that runs before coi-serviceworker on every page load (see vite.config.ts).
 *
 * coi-serviceworker gives the page cross-origin isolation (so WASM gets threads) where the host
 * cannot send COOP/COEP headers: its service worker adds them, and the page reloads so that its
 * document comes through the worker. Its settings are merged with `window.coi`, so a test can set
 * that first (e.g. to keep the worker out).
 *
 * The script sets `window.__isolationSettled`, a promise that settles once the page will not
 * reload for isolation any more; while a reload is coming it stays pending, so the app takes no
 * input that the reload would lose. It settles with:
 * - `isolated`: the page is isolated;
 * - `unavailable`: isolation cannot come from the worker here (no service workers, not a secure
 *   context, kept out by `coi.shouldRegister`, or the page stayed unisolated after a reload under
 *   the worker's control);
 * - `failed`: the worker could not register;
 * - `timeout`: no reload came within the time limit, so a worker that never answers cannot hold
 *   the page.
 *
 * Reloads, besides coi-serviceworker's own:
 * - when the worker takes control of this page (`controllerchange`): the document came from the
 *   network, without the headers;
 * - when the page is already controlled yet not isolated as the script starts. The worker's claim
 *   can land between the document's response and this script, so no `controllerchange` arrives
 *   and coi-serviceworker, seeing a controller, does not reload either: the page would stay
 *   unisolated. This reload happens once per tab (remembered in session storage), so a browser
 *   that never isolates through the worker does not reload for ever.
 *
 * It refers to nothing but `window`, so a test can run it against a stand-in.
 */
export function isolationSetupScript(waitMs: number): string {
  return `window.coi = { quiet: true, ...window.coi };
window.__isolationSettled = new Promise((settle) => {
  const key = 'visionthink:isolation-reload';
  const storage = () => { try { return window.sessionStorage; } catch { return null; } };
  if (window.crossOriginIsolated) {
    try { storage()?.removeItem(key); } catch {}
    return settle('isolated');
  }
  const sw = window.navigator.serviceWorker;
  const registers = window.crossOriginIsolated === false && window.isSecureContext && sw &&
    (!window.coi.shouldRegister || window.coi.shouldRegister());
  if (!registers) return settle('unavailable');
  if (sw.controller) {
    const store = storage();
    let reloaded = true;
    if (store) try { reloaded = store.getItem(key) === '1'; if (!reloaded) store.setItem(key, '1'); } catch { reloaded = true; }
    if (reloaded) return settle('unavailable');
    window.location.reload();
    return;
  }
  sw.addEventListener('controllerchange', () => {
    if (!window.crossOriginIsolated) window.location.reload();
  });
  const register = sw.register.bind(sw);
  sw.register = (...args) => {
    const registering = register(...args);
    registering.catch(() => settle('failed'));
    return registering;
  };
  window.setTimeout(() => settle('timeout'), ${String(waitMs)});
});`;
}
