/**
 * End-to-end tests: the built app (`vite preview`) in Debian's Chromium, once with WebGPU
 * (SwiftShader, `--enable-unsafe-webgpu`) and once without it, where the app falls back to WASM.
 * Playwright never downloads a browser here; `CHROMIUM_PATH` overrides the system one.
 */
import { defineConfig } from '@playwright/test';

const port = Number(process.env.E2E_PORT ?? 4173);
const baseURL = `http://localhost:${port}`;
/** The same app built and served under a sub-path, as GitHub Pages serves a project site. */
const SUB_PATH = '/visionthink-web/';
const subPathPort = port + 1;
const subPathURL = `http://localhost:${subPathPort}${SUB_PATH}`;

/** Without these Chromium keeps trying to reach the network (updates, sync, field trials). */
const quiet = [
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  // Nothing but the app's own server resolves: a test can never download from the hub, even on
  // a machine with internet, and a hub model fails as it would offline.
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost',
];
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  outputDir: 'test-results',
  forbidOnly: !!process.env.CI,
  // A flaky test is a bug to see, not to retry away.
  retries: 0,
  // Two cores: one browser at a time, and the model worker gets the other core.
  workers: 1,
  fullyParallel: false,
  // SwiftShader runs WebGPU on the CPU, about 40× slower than WASM; the test model is tiny, so
  // a run takes seconds, but a cold page also compiles shaders.
  timeout: 180_000,
  expect: { timeout: 60_000 },
  reporter: [['list'], ['html', { open: 'never' }]],
  use: {
    baseURL,
    headless: true,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    viewport: { width: 1280, height: 900 },
    actionTimeout: 30_000,
    navigationTimeout: 60_000,
  },
  // Started one after the other: the second build reuses the test model the first one wrote.
  webServer: [
    {
      command: `npm run build && npx vite preview --port ${port} --strictPort`,
      url: baseURL,
      // Always the app as built now, never a stale server left running.
      reuseExistingServer: false,
      timeout: 300_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      command: `npx vite build --outDir dist-subpath --emptyOutDir --logLevel warn && npx vite preview --outDir dist-subpath --port ${subPathPort} --strictPort`,
      env: { BASE_PATH: SUB_PATH },
      url: subPathURL,
      reuseExistingServer: false,
      timeout: 300_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
  ],
  projects: [
    {
      name: 'webgpu',
      // Layout and the first visit do not depend on the backend: they run in the WASM project,
      // where a question takes seconds instead of SwiftShader's tens of seconds.
      testIgnore: ['subpath.spec.ts', 'layout.spec.ts', 'first-visit.spec.ts'],
      use: { browserName: 'chromium', launchOptions: { executablePath, args: ['--enable-unsafe-webgpu', ...quiet] } },
    },
    {
      name: 'wasm',
      testIgnore: 'subpath.spec.ts',
      use: { browserName: 'chromium', launchOptions: { executablePath, args: quiet } },
    },
    {
      name: 'subpath',
      testMatch: 'subpath.spec.ts',
      use: { browserName: 'chromium', baseURL: subPathURL, launchOptions: { executablePath, args: quiet } },
    },
  ],
});
