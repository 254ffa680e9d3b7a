/**
 * `npm run eval` as a person runs it: on the synthetic set and on a hub dataset (served by a local
 * fixture of the dataset viewer), writing JSON, Markdown and the SVG plot whose points are the
 * JSON's figures; bad input exits with code 2 and one line on stderr.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASETS } from '../../src/eval/datasets.ts';
import type { EvalReport } from '../../src/eval/types.ts';
import { loadRowsPage, serveRows, splitFromPage, type RowsFixtureServer } from './rows-fixture-server.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = join(ROOT, 'node_modules/.bin/tsx');

interface Exit {
  code: number;
  stdout: string;
  stderr: string;
}

function evaluate(...args: string[]): Promise<Exit> {
  return new Promise((resolve) => {
    execFile(TSX, ['scripts/eval.ts', ...args], { cwd: ROOT, timeout: 300_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'visionthink-eval-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** The one report a run wrote to `dir`, with its Markdown and SVG. */
async function written(dir: string): Promise<{ report: EvalReport; markdown: string; svg: string; names: string[] }> {
  const names = (await readdir(dir)).sort();
  const stem = names.find((name) => name.endsWith('.json'))?.replace(/\.json$/, '');
  if (!stem) throw new Error(`no report in ${dir}: ${names.join(', ')}`);
  return {
    report: JSON.parse(await readFile(join(dir, `${stem}.json`), 'utf8')) as EvalReport,
    markdown: await readFile(join(dir, `${stem}.md`), 'utf8'),
    svg: await readFile(join(dir, `${stem}.svg`), 'utf8'),
    names,
  };
}

describe('npm run eval', () => {
  it('evaluates the synthetic set and writes the report, its table and its plot', async () => {
    const out = join(scratch, 'synthetic');
    const exit = await evaluate('--limit', '2', '--seed', '3', '--policies', 'full-only,visionthink', '--out', out);
    expect(exit.stderr).toContain('Written');
    expect(exit.code).toBe(0);
    const { report, markdown, svg, names } = await written(out);
    const day = new Date().toISOString().slice(0, 10);
    expect(names).toEqual([
      `${day}-visionthink-test-synthetic.json`,
      `${day}-visionthink-test-synthetic.md`,
      `${day}-visionthink-test-synthetic.svg`,
    ]);
    expect(report).toMatchObject({ model: 'visionthink-test', backend: 'local', limit: 2, seed: 3, complete: true });
    expect(report.dataset).toMatchObject({ id: 'synthetic', metric: 'exact' });
    // The paper's order, whatever order they were asked for in.
    expect(report.summaries.map((summary) => summary.policy)).toEqual(['visionthink', 'full-only']);
    expect(report.items).toHaveLength(4);
    for (const summary of report.summaries) {
      expect(summary.items).toBe(2);
      expect(summary.visualTokensFullOnly).toBeGreaterThan(0);
      expect(summary.visualTokensUsed).toBe(
        report.items
          .filter((item) => item.policy === summary.policy)
          .reduce((sum, item) => sum + item.attempt.visualTokens, 0),
      );
      // The plot's point for the policy carries the JSON's figures.
      expect(svg).toContain(`data-policy="${summary.policy}"`);
      expect(svg).toContain(`data-ratio="${summary.visualTokenRatio}"`);
      expect(markdown).toContain(`| ${summary.policy} |`);
    }
    expect(report.summaries.find((summary) => summary.policy === 'full-only')?.visualTokenRatio).toBe(1);
    expect(report.confidenceSweep).toBeNull();
    expect(exit.stdout).toContain('| Policy |');

    // A second run on the same day keeps the first one's files.
    const again = await evaluate('--limit', '1', '--policies', 'low-only', '--out', out);
    expect(again.code).toBe(0);
    expect((await readdir(out)).filter((name) => name.endsWith('.json'))).toHaveLength(2);
  }, 300_000);

  describe('a hub dataset through the dataset viewer', () => {
    let viewer: RowsFixtureServer;
    beforeAll(async () => {
      viewer = await serveRows(splitFromPage(loadRowsPage('chartqa-test-0-3'), DATASETS.chartqa, 'image', 40));
    });
    afterAll(async () => {
      await viewer.close();
    });

    it('samples the split, fetches the images and scores with the benchmark metric', async () => {
      const out = join(scratch, 'chartqa');
      const exit = await evaluate(
        '--dataset',
        'chartqa',
        '--hub-url',
        viewer.baseUrl,
        '--limit',
        '3',
        '--policies',
        'low-only',
        '--out',
        out,
      );
      expect(exit.stderr).toContain('Written');
      expect(exit.code).toBe(0);
      const { report } = await written(out);
      expect(report.dataset).toMatchObject({ id: 'chartqa', metric: 'relaxed-accuracy', size: 40 });
      expect(report.items).toHaveLength(3);
      expect(new Set(report.items.map((item) => item.itemId)).size).toBe(3);
      expect(report.skipped).toEqual([]);
      expect(viewer.requests.some((path) => path.startsWith('/cached-assets/'))).toBe(true);
    }, 300_000);
  });

  it('Ctrl-C stops and still writes what was measured, marked incomplete', async () => {
    const out = join(scratch, 'stopped');
    const child = spawn(TSX, ['scripts/eval.ts', '--limit', '400', '--policies', 'low-only', '--out', out], {
      cwd: ROOT,
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    // Stopped a few seconds into the run, as a person would, not at any particular event.
    for (let i = 0; i < 600 && !stderr.includes('Evaluating'); i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 4000));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toContain('Stopped. What was measured is in');
    const { report } = await written(out);
    expect(report.complete).toBe(false);
    expect(report.items.length).toBeGreaterThan(0);
    expect(report.items.length).toBeLessThan(400);
    expect(report.summaries[0]?.items).toBe(report.items.length);
  }, 120_000);

  it('explains itself with --help', async () => {
    const exit = await evaluate('--help');
    expect(exit.code).toBe(0);
    expect(exit.stdout).toContain('usage: npm run eval --');
    for (const option of [
      '--dataset',
      '--limit',
      '--seed',
      '--policies',
      '--concurrency',
      '--out',
      'chartqa',
      'pope',
    ]) {
      expect(exit.stdout).toContain(option);
    }
  });

  it.each([
    [['--dataset', 'mmmu'], /There is no dataset "mmmu".*synthetic/],
    [['--policies', 'visionthink,sometimes'], /--policies .*not "sometimes"/],
    [['--concurrency', '4'], /--concurrency above 1 needs --endpoint/],
    [['--limit', '0'], /--limit must be a whole number of at least 1/],
    [['--threshold', '2'], /threshold must be a number from 0 to 1/],
  ])('refuses %j with a readable message and exit code 2', async (args, message) => {
    const exit = await evaluate(...args);
    expect(exit.code).toBe(2);
    expect(exit.stderr.trim().split('\n')).toHaveLength(1);
    expect(exit.stderr).toMatch(message);
  });
});
