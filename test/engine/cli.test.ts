/**
 * The `ask` CLI as a person runs it: `--json` prints exactly one JSON object with the documented
 * fields, the human output shows the answer and the decisions, and bad input exits with code 2
 * and a single line on stderr.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatProbability } from '../../src/engine/decide-round.ts';
import { THOUGHTS, TOOL_CALL_BODY } from '../../scripts/model/test-model.ts';
import { renderSample } from '../../scripts/samples/test-images.ts';
import { icoFile, outputs, sampleBmp, sampleIconImage, samplePng } from './helpers.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = join(ROOT, 'node_modules/.bin/tsx');

interface Exit {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command in the repository root and resolves with its exit code and output. */
function run(command: string, args: string[]): Promise<Exit> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: ROOT, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const ask = (...args: string[]): Promise<Exit> => run(TSX, ['scripts/ask.ts', ...args]);

let scratch: string;
let detailed: string;
let plain: string;
let notImage: string;
let tiff: string;
let svg: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'visionthink-cli-'));
  detailed = join(scratch, 'detailed-green.png');
  plain = join(scratch, 'plain-red.png');
  notImage = join(scratch, 'notes.png');
  tiff = join(scratch, 'scan.tiff');
  svg = join(scratch, 'drawing.svg');
  await writeFile(detailed, await samplePng('detailed', 'green', 448, 336));
  await writeFile(plain, await samplePng('plain', 'red', 448, 336));
  await writeFile(notImage, 'These are my notes, saved with the wrong extension.\n');
  const { data } = renderSample('plain', 'red', 448, 336);
  await writeFile(
    tiff,
    await sharp(data, { raw: { width: 448, height: 336, channels: 3 } })
      .tiff()
      .toBuffer(),
  );
  await writeFile(
    svg,
    '<svg xmlns="http://www.w3.org/2000/svg" width="448" height="336"><rect width="448" height="336" fill="red"/></svg>\n',
  );
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const sortedKeys = (value: unknown): string[] => Object.keys(value as object).sort();

describe('--json', () => {
  it('prints exactly one JSON object with the documented fields', async () => {
    const { code, stdout, stderr } = await ask('--image', detailed, '--question', 'What colour?', '--json');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.endsWith('}\n')).toBe(true);
    expect(stdout.trimEnd().split('\n')).toHaveLength(1);
    const result = JSON.parse(stdout) as Record<string, unknown>;

    expect(sortedKeys(result)).toEqual(['answer', 'escalated', 'policy', 'rounds', 'transcript', 'visualTokens']);
    expect(result.answer).toBe('green');
    expect(result.escalated).toBe(true);
    expect(result.policy).toBe('visionthink');
    expect(result.visualTokens).toEqual({ used: 240, fullResolution: 192, saved: -48 });
    expect(typeof result.transcript).toBe('string');
    expect(result.transcript).toContain('<|im_start|>system\n');

    const rounds = result.rounds as Record<string, unknown>[];
    expect(rounds).toHaveLength(2);
    for (const round of rounds) {
      // Beyond the documented fields, each round also carries its number and image.resolution.
      expect(sortedKeys(round)).toEqual([
        'confidence',
        'decision',
        'generatedTokens',
        'image',
        'ms',
        'output',
        'prefilledTokens',
        'promptTokens',
        'reason',
        'round',
        'visualTokens',
      ]);
      expect(sortedKeys(round.image)).toEqual(['height', 'resolution', 'width']);
      expect(sortedKeys(round.ms)).toEqual(['decode', 'encode', 'prefill']);
      for (const ms of Object.values(round.ms as Record<string, unknown>)) {
        expect(typeof ms).toBe('number');
        expect(ms).toBeGreaterThanOrEqual(0);
      }
    }
    expect(
      rounds.map(({ round, image, visualTokens, generatedTokens, output }) => ({
        round,
        image,
        visualTokens,
        generatedTokens,
        output,
      })),
    ).toEqual([
      {
        round: 1,
        image: { width: 224, height: 168, resolution: 'low' },
        visualTokens: 48,
        generatedTokens: 7,
        output: outputs.toolCall(THOUGHTS.detailed, TOOL_CALL_BODY),
      },
      {
        round: 2,
        image: { width: 448, height: 336, resolution: 'full' },
        visualTokens: 192,
        generatedTokens: 7,
        output: outputs.answer(THOUGHTS.afterTool, 'green'),
      },
    ]);
    expect(rounds.map(({ decision, reason, confidence }) => ({ decision, reason, confidence }))).toEqual([
      { decision: 'escalate', reason: 'Asked for the full image — looked at the full image', confidence: null },
      {
        decision: 'answer',
        reason: 'Answered from the full-resolution image',
        confidence: expect.any(Object) as unknown,
      },
    ]);
    const [first, second] = rounds as [Record<string, number>, Record<string, number>];
    expect(first.prefilledTokens).toBe(first.promptTokens);
    expect(second.prefilledTokens).toBe((second.promptTokens ?? 0) - (first.promptTokens ?? 0) - 7 + 1);
  });

  it('through npm run ask, stdout is still exactly that one object', async () => {
    const { code, stdout } = await run('npm', [
      'run',
      'ask',
      '--',
      '--image',
      plain,
      '--question',
      'What colour?',
      '--json',
    ]);
    expect(code).toBe(0);
    expect(stdout.trimEnd().split('\n')).toHaveLength(1);
    const result = JSON.parse(stdout) as { answer: string; escalated: boolean; visualTokens: unknown };
    expect(result.answer).toBe('red');
    expect(result.escalated).toBe(false);
    expect(result.visualTokens).toEqual({ used: 48, fullResolution: 192, saved: 144 });
  });
});

describe('several --question: one conversation', () => {
  const RESULT_KEYS = ['answer', 'escalated', 'policy', 'rounds', 'transcript', 'visualTokens'];

  it('--json prints the turns, each in the one-question schema, and the conversation’s totals', async () => {
    const { code, stdout, stderr } = await ask(
      '--image',
      detailed,
      '--question',
      'What colour?',
      '--question',
      'And what is in the corner?',
      '--json',
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.trimEnd().split('\n')).toHaveLength(1);
    const output = JSON.parse(stdout) as Record<string, unknown>;
    expect(sortedKeys(output)).toEqual(['turns', 'visualTokens']);
    const turns = output.turns as (Record<string, unknown> & { rounds: Record<string, number | null>[] })[];
    expect(turns).toHaveLength(2);
    const [first, second] = turns as [(typeof turns)[number], (typeof turns)[number]];
    for (const turn of turns) expect(sortedKeys(turn)).toEqual(RESULT_KEYS);
    expect(first).toMatchObject({
      answer: 'green',
      escalated: true,
      visualTokens: { used: 240, fullResolution: 192, saved: -48 },
    });
    expect(first.rounds).toHaveLength(2);

    // The follow-up sees the full image the first question looked at: one round, no new image.
    expect(second).toMatchObject({
      answer: 'green',
      escalated: false,
      visualTokens: { used: 0, fullResolution: 0, saved: 0 },
    });
    expect(second.rounds).toHaveLength(1);
    const [round] = second.rounds as [Record<string, number | null>];
    expect(round.image).toBeNull();
    expect(round.visualTokens).toBe(0);
    // It prefills only its own turn: what was appended after the first question's last token,
    // which the first question sampled but never ran through the decoder.
    const last = first.rounds[1] as Record<string, number>;
    const firstQuestion = (last.promptTokens ?? 0) + (last.generatedTokens ?? 0) - 1;
    expect((round.promptTokens ?? 0) - (round.prefilledTokens ?? 0)).toBe(firstQuestion);
    // The turn repeats the protocol's instructions before the question.
    expect(round.prefilledTokens).toBeGreaterThan(50);
    expect((second.transcript as string).startsWith(`${first.transcript as string}\n<|im_start|>user\n`)).toBe(true);
    expect(
      (second.transcript as string).endsWith(
        `And what is in the corner?<|im_end|>\n<|im_start|>assistant\n${outputs.answer(THOUGHTS.afterTool, 'green')}<|im_end|>`,
      ),
    ).toBe(true);

    // The conversation showed the low and the full image once each.
    expect(output.visualTokens).toEqual({ used: 240, fullResolution: 192, saved: -48 });
  });

  it('shows each question with its header, what a follow-up prefilled, and the conversation’s totals', async () => {
    const { code, stdout, stderr } = await ask(
      '--image',
      detailed,
      '--question',
      'What colour?',
      '--question',
      '  And what is in the corner?',
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.match(/^Image /gm)).toHaveLength(1);
    // The first question's last round: everything a follow-up finds in the cache, but the token
    // it sampled last, which the decoder has not run yet.
    const [, before, generated] =
      /prefilled \d+ of (\d+) tokens, generated (\d+) · [^\n]*\n→ The model answered\./.exec(stdout) ?? ['', '0', '0'];
    expect(stdout).toContain('\nQuestion 1: What colour?\n\nRound 1 · low resolution 224×168 · 48 visual tokens');
    const second = stdout.slice(stdout.indexOf('\nQuestion 2: And what is in the corner?\n\nRound 1 · no new image\n'));
    expect(second.length).toBeLessThan(stdout.length);
    const meter =
      /\n {2}prefilled (\d+) of (\d+) tokens \(this question's turn only; the (\d+) before it were cached\), generated 7 · /.exec(
        second,
      );
    expect(meter).not.toBeNull();
    const [prefilled, prompt, cached] = (meter ?? []).slice(1).map(Number) as [number, number, number];
    expect(prefilled + cached).toBe(prompt);
    expect(cached).toBe(Number(before) + Number(generated) - 1);
    expect(prefilled).toBeGreaterThan(50);
    expect(second).toContain('\nAnswer: green\nVisual tokens: none new, the image is in context already\n');
    expect(second).not.toContain('Round 2');
    expect(
      stdout.endsWith('\nConversation: 2 questions, 240 visual tokens used vs 192 at full resolution, 48 more (25%)\n'),
    ).toBe(true);
  });

  it('a follow-up that fails ends the run as an error does: one line on stderr, and --json prints nothing', async () => {
    const { code, stdout, stderr } = await ask(
      '--image',
      plain,
      '--question',
      'What colour?',
      '--question',
      'Why? '.repeat(900),
      '--json',
    );
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe('The question is too long (4499 characters; the limit is 4000).\n');
  });
});

describe('--policy confidence', () => {
  it('records per round the confidence and the reason of the decision, and the threshold', async () => {
    const { code, stdout, stderr } = await ask(
      '--image',
      detailed,
      '--question',
      'What colour?',
      '--policy',
      'confidence',
      '--threshold',
      '0.6',
      '--json',
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as {
      answer: string;
      escalated: boolean;
      policy: string;
      threshold: number;
      rounds: { decision: string; reason: string; confidence: Record<string, number> | null }[];
    };
    expect(result).toMatchObject({ answer: 'green', escalated: true, policy: 'confidence', threshold: 0.6 });
    const [first, second] = result.rounds;
    expect(sortedKeys(first?.confidence)).toEqual(['first', 'geometricMean', 'min', 'tokens', 'value']);
    expect(first?.confidence?.value).toBeLessThan(0.5);
    expect(first?.decision).toBe('escalate');
    expect(first?.reason).toBe(
      `Unsure at low resolution (confidence ${formatProbability(first?.confidence?.value ?? 0)}, below 0.60) — looked at the full image`,
    );
    expect(second?.confidence?.value).toBeGreaterThan(0.9);
    expect(second?.reason).toBe('Answered from the full-resolution image');
  });

  it('prints the gate’s verdict; a plain picture is answered from the low-resolution image', async () => {
    const { code, stdout } = await ask('--image', plain, '--question', 'What colour?', '--policy', 'confidence');
    expect(code).toBe(0);
    expect(stdout).toMatch(/\n→ Confident \((0\.9\d|1\.00)\) — answered from the low-resolution image\.\n/);
    expect(stdout).toContain('\nAnswer: red\n');
    expect(stdout).toContain('Visual tokens: 48 used vs 192 at full resolution, 144 saved (75%)\n');
  });
});

describe('human output', () => {
  it('shows the plan, the rounds, the decisions and the answer', async () => {
    const { code, stdout, stderr } = await ask('--image', detailed, '--question', 'What colour?');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('Image 448×336: low 224×168 = 48 visual tokens, full 448×336 = 192\n');
    expect(stdout).toContain('Round 1 · low resolution 224×168 · 48 visual tokens');
    expect(stdout).toContain('→ The model asked for the full image.\n');
    expect(stdout).toContain('Round 2 · full resolution 448×336 · 192 visual tokens');
    expect(stdout).toContain('→ The model answered.\n');
    expect(stdout).toContain('\nAnswer: green\n');
    expect(stdout).toContain('Visual tokens: 240 used vs 192 at full resolution, 48 more (25%)\n');
  });

  it('reports a refusal by the policy', async () => {
    const { code, stdout } = await ask('--image', detailed, '--question', 'What colour?', '--policy', 'low-only');
    expect(code).toBe(0);
    expect(stdout).toContain(
      '→ The model asked for the full image; the policy refused (The full-resolution image is not available; answer from the current image).\n',
    );
    expect(stdout).toContain('\nAnswer: green\n');
    expect(stdout).toContain('Visual tokens: 48 used vs 192 at full resolution, 144 saved (75%)\n');
  });
});

describe('--help', () => {
  it('explains every option with its default, the formats, the exit codes, and exits 0', async () => {
    const { code, stdout, stderr } = await ask('--help');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    // Each option's own paragraph, up to the next option.
    const paragraph = (option: string): string => {
      const start = stdout.indexOf(`\n  ${option}`);
      expect(start, `--help describes ${option}`).toBeGreaterThan(-1);
      const next = stdout.slice(start + 1).search(/\n  --|\n\n/);
      return stdout.slice(start + 1, next === -1 ? undefined : start + 1 + next);
    };
    expect(paragraph('--image ')).toContain('Required.');
    expect(paragraph('--image ')).toContain('PNG, JPEG, WebP, GIF, AVIF, BMP or ICO');
    expect(paragraph('--question ')).toContain('Required.');
    expect(paragraph('--question ')).toContain('Repeat it to\n      ask follow-up questions in the same conversation');
    expect(paragraph('--model ')).toContain('Default: the generated test model');
    expect(paragraph('--model ')).toContain('qwen3.5-0.8b');
    const policy = paragraph('--policy ');
    expect(policy).toContain("Default: the model's own");
    for (const id of ['visionthink', 'confidence', 'low-only', 'full-only'])
      expect(policy).toMatch(new RegExp(`\n +${id} +\\w`));
    expect(paragraph('--threshold ')).toContain('Default: the model');
    expect(paragraph('--max-visual-tokens ')).toContain('Default: 1024;');
    expect(paragraph('--endpoint ')).toContain('Default: none (the model runs here).');
    expect(paragraph('--api-key-env ')).toContain('Default: no key.');
    expect(paragraph('--min-pixels ')).toContain('Default: Qwen2.5-VL');
    expect(paragraph('--json')).toContain('Default: off.');
    expect(paragraph('--json')).toContain('"turns"');
    expect(paragraph('--help')).toContain('Prints this help.');
    expect(stdout).toMatch(/\n  0 .+\n  1 .+\n  2 .+/);
    expect(stdout).toContain('npm run ask -- --image ');
  });
});

describe('bad input: exit code 2 and one line on stderr', () => {
  const cases: [string, () => string[], string][] = [
    ['a missing file', () => ['--image', join(scratch, 'nowhere.png'), '--question', 'q'], 'There is no file at'],
    ['a file that is not an image', () => ['--image', notImage, '--question', 'q'], 'not an image that can be read'],
    ['an empty question', () => ['--image', plain, '--question', '  '], 'Please type a question about the image.'],
    [
      // Refused before the model loads: the missing folder is not what the message is about.
      'an empty follow-up question',
      () => ['--image', plain, '--question', 'q', '--question', '', '--model', join(scratch, 'no-model')],
      'Please type a question about the image.',
    ],
    [
      'an unknown policy',
      () => ['--image', plain, '--question', 'q', '--policy', 'sharpest'],
      'Unknown policy "sharpest"',
    ],
    [
      'a threshold above 1',
      () => ['--image', plain, '--question', 'q', '--policy', 'confidence', '--threshold', '2'],
      'The confidence threshold must be a number from 0 to 1, not 2.',
    ],
    [
      'a threshold that is not a number',
      () => ['--image', plain, '--question', 'q', '--threshold', 'high'],
      '--threshold must be a number from 0 to 1, not "high".',
    ],
    [
      'a threshold for a policy that has none',
      () => ['--image', plain, '--question', 'q', '--policy', 'low-only', '--threshold', '0.5'],
      '--threshold applies to --policy confidence only; the policy here is low-only.',
    ],
    [
      'a fractional token budget',
      () => ['--image', plain, '--question', 'q', '--max-visual-tokens', '1.5'],
      '--max-visual-tokens must be a positive whole number',
    ],
    [
      'a zero token budget',
      () => ['--image', plain, '--question', 'q', '--max-visual-tokens', '0'],
      '--max-visual-tokens must be a positive whole number',
    ],
    [
      'a TIFF image',
      () => ['--image', tiff, '--question', 'q'],
      'TIFF images are not supported: use PNG, JPEG, WebP, GIF, AVIF, BMP or ICO (',
    ],
    [
      'an SVG image',
      () => ['--image', svg, '--question', 'q'],
      'SVG images are not supported: use PNG, JPEG, WebP, GIF, AVIF, BMP or ICO (',
    ],
    ['an unknown flag', () => ['--image', plain, '--question', 'q', '--colourful'], "Unknown option '--colourful'"],
    ['no --image', () => ['--question', 'q'], '--image is required'],
    [
      'a missing model folder',
      () => ['--image', plain, '--question', 'q', '--model', join(scratch, 'no-model')],
      'There is no model folder at',
    ],
  ];

  // Independent processes, mostly starting up: run side by side.
  it.concurrent.for(cases)('%s', async ([, args, message], { expect }) => {
    const { code, stdout, stderr } = await ask(...args());
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.endsWith('\n')).toBe(true);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).toContain(message);
  });
});

describe('BMP and ICO files, which the web app reads too', () => {
  /** A `--json` result without its timings, which differ from run to run. */
  function withoutTimings(stdout: string): { answer: string; rounds: { ms?: unknown }[] } {
    const result = JSON.parse(stdout) as { answer: string; rounds: { ms?: unknown }[] };
    for (const round of result.rounds) delete round.ms;
    return result;
  }

  /** Writes `bytes` to the scratch folder and returns the path. */
  async function file(name: string, bytes: Uint8Array | Promise<Uint8Array>): Promise<string> {
    const path = join(scratch, name);
    await writeFile(path, await bytes);
    return path;
  }

  const cases: [string, () => Promise<[string, string]>, string][] = [
    [
      'a 24-bit BMP',
      async () => [
        await file('detailed-green.bmp', sampleBmp('detailed', 'green', 448, 336)),
        await file('detailed-green-448.png', samplePng('detailed', 'green', 448, 336)),
      ],
      'green',
    ],
    [
      'an ICO whose largest image is a DIB (a smaller one of another colour comes first)',
      async () => [
        await file(
          'detailed-blue.ico',
          icoFile([sampleIconImage('plain', 'magenta', 16, 16), sampleIconImage('detailed', 'blue', 256, 192)]),
        ),
        await file('detailed-blue-256.png', samplePng('detailed', 'blue', 256, 192)),
      ],
      'blue',
    ],
    [
      'an ICO whose largest image is an embedded PNG',
      async () => [
        await file(
          'plain-yellow.ico',
          icoFile([
            sampleIconImage('plain', 'magenta', 32, 32),
            { width: 256, height: 192, bitCount: 32, data: await samplePng('plain', 'yellow', 256, 192) },
            sampleIconImage('plain', 'red', 48, 48),
          ]),
        ),
        await file('plain-yellow-256.png', samplePng('plain', 'yellow', 256, 192)),
      ],
      'yellow',
    ],
  ];

  it.concurrent.for(cases)(
    '%s is answered exactly as the same pixels in a PNG',
    async ([, files, colour], { expect }) => {
      const [image, png] = await files();
      const [fromImage, fromPng] = await Promise.all([
        ask('--image', image, '--question', 'What colour?', '--json'),
        ask('--image', png, '--question', 'What colour?', '--json'),
      ]);
      expect(fromImage.stderr).toBe('');
      expect(fromImage.code).toBe(0);
      expect(fromPng.code).toBe(0);
      const result = withoutTimings(fromImage.stdout);
      expect(result.answer).toBe(colour);
      // The same answer, rounds, transcript and visual-token counts.
      expect(result).toEqual(withoutTimings(fromPng.stdout));
    },
  );
});

describe('--image with an http(s) address', () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    const png = await samplePng('detailed', 'cyan', 448, 336);
    server = createServer((request, response) => {
      if (request.url === '/chart.png') {
        response.writeHead(200, { 'content-type': 'image/png' });
        response.end(png);
      } else {
        response.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('downloads the image and answers about it', async () => {
    const { code, stdout } = await ask('--image', `${base}/chart.png`, '--question', 'What colour?', '--json');
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as { answer: string; escalated: boolean };
    expect(result).toMatchObject({ answer: 'cyan', escalated: true });
  });

  it('says plainly when the address does not serve an image', async () => {
    const { code, stdout, stderr } = await ask('--image', `${base}/missing.png`, '--question', 'What colour?');
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`The image at ${base}/missing.png could not be downloaded (HTTP 404).\n`);
  });
});
