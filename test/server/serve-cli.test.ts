/**
 * `npm run serve` as tests and people start it: one line when it is ready (the base URL on it),
 * answers on that URL, stops on SIGTERM; `--help` explains every option; a bad option is one
 * line on stderr and exit code 2; a port in use, exit code 1.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const READY = /^VisionThink peer: serving (\S+) at (http:\/\/\S+\/v1)$/m;

function serveOnce(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(TSX, ['scripts/serve.ts', ...args], { cwd: ROOT, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('npm run serve', () => {
  it('says when it is ready, serves at the URL it printed, and stops on SIGTERM', async () => {
    const child = spawn(TSX, ['scripts/serve.ts', '--port', '0', '--served-model-name', 'peer-under-test'], {
      cwd: ROOT,
    });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    const ready = new Promise<RegExpExecArray>((resolve, reject) => {
      child.stdout.on('data', (text: string) => {
        stdout += text;
        const match = READY.exec(stdout);
        if (match) resolve(match);
      });
      child.once('exit', (code) => {
        reject(new Error(`The peer exited with ${code} before it was ready: ${stdout}`));
      });
    });
    try {
      const [line, name, url] = await ready;
      expect(line.split('\n')).toHaveLength(1);
      expect(name).toBe('peer-under-test');
      const list = (await (await fetch(`${url}/models`)).json()) as { data: { id: string; root: string }[] };
      expect(list.data.map((model) => [model.id, model.root])).toEqual([['peer-under-test', 'visionthink-test']]);
    } finally {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      expect(code).toBe(0);
    }
  });

  it('explains every option with --help', async () => {
    const { code, stdout } = await serveOnce(['--help']);
    expect(code).toBe(0);
    for (const option of [
      '--port',
      '--host',
      '--model',
      '--served-model-name',
      '--api-key',
      '--allowed-origins',
      '--max-model-len',
      '--max-body-bytes',
      '--no-logprobs',
      '--no-cached-tokens',
      '--no-enable-prefix-caching',
      '/_peer/inject',
      '/_peer/reset',
      '/_peer/log',
    ])
      expect(stdout).toContain(option);
  });

  it('refuses a bad option in one line with exit code 2', async () => {
    const { code, stderr } = await serveOnce(['--allowed-origins', '*']);
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^--allowed-origins must be a JSON list of origins/);
  });

  it('says so when the port is in use, with exit code 1', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = blocker.address() as AddressInfo;
      const { code, stderr } = await serveOnce(['--port', String(port)]);
      expect(code).toBe(1);
      expect(stderr.trim()).toBe(`Port ${port} on 127.0.0.1 is in use: choose another with --port.`);
    } finally {
      blocker.close();
    }
  });
});
