/**
 * The Markdown report, the CSV of every answer and the file stem they share, on the hand-written
 * fixture: the table carries the summaries' figures, and the CSV reads back field for field
 * through an RFC 4180 parser written here, independent of the writer.
 */
import { formatThreshold } from '../../src/eval/format.ts';
import { describe, expect, it } from 'vitest';
import { reportCsv, reportMarkdown, resultFileStem } from '../../src/eval/report-files.ts';
import type { SweepPoint } from '../../src/eval/types.ts';
import { ITEMS, fixtureReport } from './report-fixture.ts';

/** RFC 4180: fields split on commas, quoted fields may hold commas, CRLF and doubled quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (!quoted && c === ',') {
      row.push(field);
      field = '';
    } else if (!quoted && c === '\r' && text[i + 1] === '\n') {
      rows.push([...row, field]);
      row = [];
      field = '';
      i++;
    } else {
      field += c;
    }
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}

/** The cells of the Markdown table row whose first cell is `first`. */
function tableRow(markdown: string, first: string): string[] | undefined {
  const line = markdown.split('\n').find((l) => l.startsWith(`| ${first} |`));
  return line
    ?.slice(2, -2)
    .split(' | ')
    .map((cell) => cell.trim());
}

describe('reportMarkdown', () => {
  const report = fixtureReport();
  const markdown = reportMarkdown(report, '2025-07-01-Senqiao-VisionThink-Efficient-chartqa.svg');

  it('opens with the model, the dataset, the sample, the seed and the date', () => {
    expect(markdown.split('\n')[0]).toBe('# VisionThink evaluation: Senqiao/VisionThink-Efficient on ChartQA');
    expect(markdown).toContain('- Model: Senqiao/VisionThink-Efficient (backend: http://localhost:8000/v1)');
    expect(markdown).toContain('- Dataset: ChartQA from HuggingFaceM4/ChartQA (test), scored by relaxed accuracy');
    expect(markdown).toContain('- Sample: 100 of 2,500 items, seed 7');
    expect(markdown).toContain('- Date: 2025-07-01T09:30:00.000Z to 2025-07-01T10:12:41.000Z');
  });

  it("tabulates each policy's figures as the paper does", () => {
    expect(tableRow(markdown, 'Policy')).toEqual([
      'Policy',
      'Accuracy (relaxed accuracy)',
      'Escalation rate',
      'Visual tokens used / full-only (ratio)',
      'Prefilled tokens',
      'Wall time',
      'p50 / p90 latency',
      'Items',
      'Errors',
    ]);
    expect(tableRow(markdown, 'visionthink')).toEqual([
      'visionthink',
      '80.3%',
      '36.0%',
      '15,616 / 25,600 (61.0%)',
      '40,000',
      '61.3 s',
      '540 ms / 1.32 s',
      '100',
      '0',
    ]);
    expect(tableRow(markdown, 'confidence (t = 0.7)')?.slice(1, 4)).toEqual([
      '81.0%',
      '30.0%',
      '14,080 / 25,600 (55.0%)',
    ]);
    expect(tableRow(markdown, 'low-only')?.slice(1, 6)).toEqual([
      '63.7%',
      '0.0%',
      '6,400 / 25,600 (25.0%)',
      '40,000',
      '38.9 s',
    ]);
    expect(tableRow(markdown, 'full-only')?.at(-1)).toBe('1');
  });

  it('gives the suggested threshold and the sweep in order of threshold', () => {
    expect(markdown).toContain(
      'Suggested threshold **0.7**: 81.0% accuracy at 55.0% of the full-resolution visual tokens, escalating 30.0% of the questions (reference: full-only, 82.3%).',
    );
    const thresholds = ['0.5', '0.6', '0.7 (suggested)', '0.8', '0.9'];
    expect(thresholds.map((t) => tableRow(markdown, t)?.[0])).toEqual(thresholds);
    expect(tableRow(markdown, '0.9')).toEqual(['0.9', '82.3%', '80.0%', '26,880 (105.0%)']);
  });

  it('shortens a long sweep to eleven rows, keeping both ends and the suggested threshold', () => {
    const points: SweepPoint[] = Array.from({ length: 101 }, (_, i) => ({
      threshold: i / 100,
      accuracy: 0.6 + i / 500,
      escalationRate: i / 100,
      visualTokensUsed: 6400 + i * 256,
      visualTokenRatio: 0.25 + i / 100,
    }));
    const suggested = points[37] ?? null;
    const long = reportMarkdown(
      fixtureReport({ confidenceSweep: { points, suggested, reference: { policy: 'full-only', accuracy: 0.8 } } }),
    );
    const rows = long.split('\n').filter((l) => /^\| \d/.test(l));
    expect(rows).toHaveLength(11);
    expect(rows[0]).toMatch(/^\| 0 \|/);
    expect(rows.at(-1)).toMatch(/^\| 1 \|/);
    expect(long).toContain('| 0.37 (suggested) |');
    expect(long).toContain('11 of the 101 thresholds:');
  });

  it('embeds the plot when given, counts skipped items and says nothing about completeness when complete', () => {
    expect(markdown).toContain(
      '![Accuracy against the share of full-resolution visual tokens](2025-07-01-Senqiao-VisionThink-Efficient-chartqa.svg)',
    );
    expect(markdown).toContain('1 item was skipped (the image could not be loaded)');
    expect(markdown).not.toContain('Incomplete');
    expect(reportMarkdown(report)).not.toContain('![');
  });

  it('notes an incomplete run, a missing suggestion and an empty table', () => {
    const sweep = report.confidenceSweep;
    const partial = reportMarkdown(
      fixtureReport({
        complete: false,
        summaries: [],
        confidenceSweep: sweep && { ...sweep, suggested: null },
        skipped: [],
      }),
    );
    expect(partial).toContain('> **Incomplete run.**');
    expect(partial).toContain('No results yet.');
    expect(partial).toContain('No threshold kept the accuracy within one point of the reference (full-only, 82.3%).');
    expect(partial).not.toContain('skipped');
  });

  it('escapes Markdown in names, so a model cannot break the page', () => {
    const odd = reportMarkdown(fixtureReport({ model: 'a|b *c* <d>\nnext' }));
    expect(odd.split('\n')[0]).toBe('# VisionThink evaluation: a\\|b \\*c\\* \\<d\\> next on ChartQA');
  });
});

describe('reportCsv', () => {
  const csv = reportCsv(fixtureReport());
  const rows = parseCsv(csv);

  it('writes a header and one CRLF-ended row per item result', () => {
    expect(rows[0]).toEqual([
      'item_id',
      'policy',
      'category',
      'question',
      'references',
      'prediction',
      'score',
      'escalated',
      'visual_tokens',
      'full_resolution_tokens',
      'prefilled_tokens',
      'generated_tokens',
      'ms',
      'low_pass_confidence',
      'error',
    ]);
    expect(rows).toHaveLength(ITEMS.length + 1);
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(csv.replace(/"[^"]*(""[^"]*)*"/g, '').match(/\r\n/g)).toHaveLength(ITEMS.length + 1);
  });

  it('quotes a field with a comma, a quote and a newline, doubling the quotes', () => {
    expect(csv).toContain(',"What is the value for ""Exports, 2019""?\nAnswer with a number.",');
    expect(csv).toContain('\r\n18,confidence,,Which year is highest?,2020,2020,1,true,320,');
  });

  it('reads back field for field', () => {
    const [, first, second, third, fourth] = rows;
    expect(first).toEqual([
      '17',
      'visionthink',
      'full',
      'What is the value for "Exports, 2019"?\nAnswer with a number.',
      '42 | 42.0',
      '42',
      '1',
      'true',
      '320',
      '256',
      '420',
      '12',
      '512.5',
      '',
      '',
    ]);
    expect(second?.slice(5, 8)).toEqual(['41', '0', 'false']);
    expect(second?.[13]).toBe('0.9125');
    expect(third?.[13]).toBe('');
    expect(fourth?.slice(-2)).toEqual(['', 'The server closed the connection, then timed out']);
  });
});

describe('resultFileStem', () => {
  it('is the UTC start date, the model made filename-safe and the dataset', () => {
    expect(resultFileStem(fixtureReport())).toBe('2025-07-01-Senqiao-VisionThink-Efficient-chartqa');
    expect(
      resultFileStem(fixtureReport({ model: '../models/my model:v2/', startedAt: '2025-07-01T23:30:00-02:00' })),
    ).toBe('2025-07-02-models-my-model-v2-chartqa');
    expect(resultFileStem(fixtureReport({ model: '///' }))).toBe('2025-07-01-unnamed-chartqa');
  });
});

describe('thresholds as people read them', () => {
  it('keeps three decimals, and more only where three would read as 0 or 1', () => {
    expect(formatThreshold(0.7)).toBe('0.7');
    expect(formatThreshold(0.25517)).toBe('0.255');
    expect(formatThreshold(0)).toBe('0');
    expect(formatThreshold(1)).toBe('1');
    expect(formatThreshold(0.99997)).toBe('0.99997');
    expect(formatThreshold(0.0004)).toBe('0.0004');
  });
});
