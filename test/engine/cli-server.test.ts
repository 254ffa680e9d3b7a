/**
 * `npm run ask -- --endpoint …` against the test peer: the same `--json` schema as the local
 * backend, every figure equal to the local run's, plus each round's server usage; the API key
 * comes from the environment and never appears in the output.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoundUsage, RunResult } from '../../src/engine/events.ts';
import { startPeer, type Peer } from '../../src/node/openai-peer/server.ts';
import { samplePng } from './helpers.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const KEY = 'sk-test-7d1f0c9a55';
const NAME = 'visionthink-test';

interface Exit {
  code: number;
  stdout: string;
  stderr: string;
}

function ask(args: string[], env: Record<string, string> = {}): Promise<Exit> {
  return new Promise((resolve) => {
    execFile(
      TSX,
      ['scripts/ask.ts', ...args],
      { cwd: ROOT, timeout: 60_000, env: { ...process.env, ...env } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

let scratch: string;
let detailed: string;
let open: Peer;
let locked: Peer;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'visionthink-cli-server-'));
  detailed = join(scratch, 'detailed-green.png');
  await writeFile(detailed, await samplePng('detailed', 'green', 448, 336));
  open = await startPeer({ port: 0, servedModelName: NAME });
  locked = await startPeer({ model: open.model, port: 0, servedModelName: NAME, apiKey: KEY });
});

afterAll(async () => {
  await locked.close();
  await open.close();
  await rm(scratch, { recursive: true, force: true });
});

/** The test model's pixel limits, so the server's visual tokens are counted as the local model's. */
const PIXELS = ['--min-pixels', '3136', '--max-pixels', '1003520', '--max-visual-tokens', '1024'];
const QUESTIONS = ['--question', 'What colour is it?', '--question', 'And now?'];

/** One question about the detailed image, asked of `peer`'s model on it, with `extra` options. */
const onServer = (peer: Peer, ...extra: string[]): string[] => [
  '--image',
  detailed,
  '--question',
  'What colour?',
  '--endpoint',
  peer.url,
  '--model',
  NAME,
  ...extra,
];

/** A round without what differs by backend: timings, prefill accounting, the server's own report. */
const figures = (usage: RoundUsage): Partial<RoundUsage> => {
  const rest: Partial<RoundUsage> = { ...usage };
  delete rest.ms;
  delete rest.prefilledTokens;
  delete rest.promptTokens;
  delete rest.server;
  return rest;
};

describe('ask --endpoint', () => {
  it('prints the local run’s JSON, plus each round’s server usage', async () => {
    const local = await ask(['--image', detailed, ...QUESTIONS, '--json']);
    const remote = await ask([
      '--image',
      detailed,
      ...QUESTIONS,
      '--endpoint',
      open.url,
      '--model',
      NAME,
      ...PIXELS,
      '--json',
    ]);
    expect(local.code).toBe(0);
    expect(remote.code).toBe(0);
    const l = JSON.parse(local.stdout) as { turns: RunResult[]; visualTokens: unknown };
    const r = JSON.parse(remote.stdout) as { turns: RunResult[]; visualTokens: unknown };
    expect(Object.keys(r)).toEqual(Object.keys(l));
    expect(r.visualTokens).toEqual(l.visualTokens);
    expect(r.turns.map((t) => t.answer)).toEqual(l.turns.map((t) => t.answer));
    expect(r.turns.map((t) => t.rounds.map(figures))).toEqual(l.turns.map((t) => t.rounds.map(figures)));
    expect(r.turns.map((t) => t.visualTokens)).toEqual(l.turns.map((t) => t.visualTokens));
    const rounds = r.turns.flatMap((t) => t.rounds);
    expect(rounds.length).toBe(3);
    // The server counts the local prompt, plus the line break its chat template puts before the
    // tool response (test/engine/server-messages.test.ts) once that is in the conversation.
    const localPrompts = l.turns.flatMap((t) => t.rounds.map((round) => round.promptTokens));
    expect(rounds.map((round) => round.promptTokens)).toEqual(localPrompts.map((n, i) => (i === 0 ? n : n + 1)));
    for (const round of rounds) {
      expect(round.server).toEqual({
        promptTokens: round.promptTokens,
        completionTokens: round.generatedTokens,
        cachedTokens: expect.any(Number) as unknown,
      });
    }
    // Round 2 and the follow-up continue on the peer's cache.
    expect(rounds.slice(1).every((round) => (round.server?.cachedTokens ?? 0) > 0)).toBe(true);
  });

  it('says in words what the server reported, for people', async () => {
    const { code, stdout } = await ask(onServer(open, ...PIXELS));
    expect(code).toBe(0);
    expect(stdout).toContain(`Model ${NAME} at ${open.url}`);
    // Round 1 may find the prompt cached from an earlier test; round 2 always continues on round 1's.
    expect(
      stdout.match(/server: \d+ prompt tokens \(\d+ cached\), 7 generated · \d+ ms to the first token/g),
    ).toHaveLength(2);
    expect(stdout).toMatch(/Round 2[^]*server: \d+ prompt tokens \([1-9]\d* cached\)/);
    expect(stdout).toContain('Answer: green');
  });

  it('reads the API key from the variable named, and never prints it', async () => {
    const ok = await ask(onServer(locked, '--api-key-env', 'PEER_KEY', '--json'), { PEER_KEY: KEY });
    expect(ok.code).toBe(0);
    expect((JSON.parse(ok.stdout) as RunResult).answer).toBe('green');

    const wrong = await ask(onServer(locked, '--api-key-env', 'PEER_KEY'), { PEER_KEY: `${KEY}-wrong` });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr.trim().split('\n')).toHaveLength(1);
    expect(wrong.stderr).toMatch(/key/i);
    expect(wrong.stderr + wrong.stdout).not.toContain(KEY);

    const none = await ask(onServer(locked));
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/key/i);
  });

  it('refuses bad options before anything is sent', async () => {
    const cases: [string[], RegExp][] = [
      [['--endpoint', open.url], /--endpoint needs --model/],
      [['--endpoint', 'localhost:8000', '--model', NAME], /http or https address/],
      [
        ['--endpoint', open.url, '--model', NAME, '--api-key-env', 'NO_SUCH_VARIABLE_HERE'],
        /NO_SUCH_VARIABLE_HERE, which is not set/,
      ],
      [['--endpoint', open.url, '--model', NAME, '--max-pixels', '100'], /--max-pixels must be a whole number/],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await ask(['--image', detailed, '--question', 'What colour?', ...args]);
      expect(code).toBe(2);
      expect(stderr).toMatch(message);
    }
  });

  it('names a model the server does not serve', async () => {
    const { code, stderr } = await ask([
      '--image',
      detailed,
      '--question',
      'What colour?',
      '--endpoint',
      open.url,
      '--model',
      'Senqiao/VisionThink-Efficient',
    ]);
    expect(code).toBe(1);
    expect(stderr).toContain('does not serve "Senqiao/VisionThink-Efficient"');
    expect(stderr).toContain(NAME);
  });
});
