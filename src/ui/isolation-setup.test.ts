import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { isolationSetupScript } from './isolation-setup.ts';

interface Stage {
  isolated?: boolean | undefined;
  secure?: boolean;
  serviceWorkers?: boolean;
  controlled?: boolean;
  shouldRegister?: boolean;
  stored?: Record<string, string | undefined>;
  registerFails?: boolean;
  storageDenied?: boolean;
}

/** Runs the script against a stand-in window and reports what it did. */
function load(stage: Stage) {
  const stored: Record<string, string | undefined> = stage.stored ?? {};
  const listeners: Record<string, (() => void)[]> = {};
  const timers: (() => void)[] = [];
  let reloads = 0;
  let settled: string | undefined;
  const sw =
    stage.serviceWorkers === false
      ? undefined
      : {
          controller: stage.controlled ? {} : null,
          addEventListener: (type: string, listener: () => void) => (listeners[type] ??= []).push(listener),
          register: () => (stage.registerFails ? Promise.reject(new Error('blocked')) : Promise.resolve({})),
        };
  const win: Record<string, unknown> = {
    crossOriginIsolated: 'isolated' in stage ? stage.isolated : false,
    isSecureContext: stage.secure ?? true,
    navigator: { serviceWorker: sw },
    location: {
      reload: () => {
        reloads++;
      },
    },
    setTimeout: (f: () => void) => {
      timers.push(f);
    },
    ...(stage.shouldRegister === undefined ? {} : { coi: { shouldRegister: () => stage.shouldRegister } }),
  };
  Object.defineProperty(win, 'sessionStorage', {
    get: () => {
      if (stage.storageDenied) throw new Error('The operation is insecure.');
      return {
        getItem: (k: string) => stored[k] ?? null,
        setItem: (k: string, v: string) => (stored[k] = v),
        removeItem: (k: string) => {
          stored[k] = undefined;
        },
      };
    },
  });
  runInNewContext(isolationSetupScript(8000), { window: win });
  void (win.__isolationSettled as Promise<string>).then((how) => (settled = how));
  return {
    win,
    sw,
    stored,
    timers,
    reloads: () => reloads,
    fire: (type: string) =>
      listeners[type]?.forEach((f) => {
        f();
      }),
    settled: async () => {
      await new Promise((r) => setTimeout(r, 0));
      return settled;
    },
  };
}

describe('the isolation setup script', () => {
  it('settles at once on an isolated page, and forgets an earlier reload', async () => {
    const page = load({ isolated: true, stored: { 'visionthink:isolation-reload': '1' } });
    expect(await page.settled()).toBe('isolated');
    expect(page.stored['visionthink:isolation-reload']).toBeUndefined();
    expect(page.reloads()).toBe(0);
    expect((page.win.coi as { quiet: boolean }).quiet).toBe(true);
  });

  it('settles as unavailable where the worker cannot help', async () => {
    expect(await load({ isolated: undefined }).settled()).toBe('unavailable');
    expect(await load({ secure: false }).settled()).toBe('unavailable');
    expect(await load({ serviceWorkers: false }).settled()).toBe('unavailable');
    expect(await load({ shouldRegister: false }).settled()).toBe('unavailable');
  });

  it('a first visit stays pending and reloads when the worker takes control', async () => {
    const page = load({});
    expect(await page.settled()).toBeUndefined();
    page.fire('controllerchange');
    expect(page.reloads()).toBe(1);
    expect(await page.settled()).toBeUndefined();
  });

  it('a page the worker claimed before the script ran reloads once, then gives up', async () => {
    const first = load({ controlled: true });
    expect(first.reloads()).toBe(1);
    expect(await first.settled()).toBeUndefined();
    expect(first.stored['visionthink:isolation-reload']).toBe('1');

    const again = load({ controlled: true, stored: first.stored });
    expect(again.reloads()).toBe(0);
    expect(await again.settled()).toBe('unavailable');
  });

  it('a worker that fails to register settles as failed; one that never answers, after the limit', async () => {
    const failing = load({ registerFails: true });
    void (failing.sw?.register as () => Promise<unknown>)().catch(() => undefined);
    expect(await failing.settled()).toBe('failed');

    const silent = load({});
    expect(await silent.settled()).toBeUndefined();
    silent.timers.forEach((f) => {
      f();
    });
    expect(await silent.settled()).toBe('timeout');
  });

  it('where session storage is denied, a claimed page does not reload (no loop is possible)', async () => {
    const page = load({ controlled: true, storageDenied: true });
    expect(page.reloads()).toBe(0);
    expect(await page.settled()).toBe('unavailable');
  });
});
