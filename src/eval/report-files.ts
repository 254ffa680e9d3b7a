/**
 * The harness's outputs for people and spreadsheets besides the JSON: a Markdown report with the
 * paper-style table, a CSV of every answer, and the file name they share. Pure strings, so the
 * worker can offer them as downloads and the CLI can write them.
 */
import { formatCount, formatDuration, formatPercent, formatThreshold, metricLabel } from './format.ts';
import type { EvalReport, ItemResult, PolicySummary, SweepPoint } from './types.ts';

/** The sweep table stays short enough to read; the CSV and the plot carry every point. */
const MAX_SWEEP_ROWS = 11;

/** Inline Markdown text: the characters that would start markup or end a table cell escaped, one line. */
function md(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').replace(/[\\`*_{}[\]<>|#!]/g, '\\$&');
}

const row = (cells: string[]): string => `| ${cells.join(' | ')} |`;

const policyCell = (s: PolicySummary): string =>
  s.threshold === undefined ? s.policy : `${s.policy} (t = ${formatThreshold(s.threshold)})`;

function summaryTable(report: EvalReport): string[] {
  const header = [
    'Policy',
    `Accuracy (${metricLabel(report.dataset.metric)})`,
    'Escalation rate',
    'Visual tokens used / full-only (ratio)',
    'Prefilled tokens',
    'Wall time',
    'p50 / p90 latency',
    'Items',
    'Errors',
  ];
  return [
    row(header),
    row(['---', ...header.slice(1).map(() => '---:')]),
    ...report.summaries.map((s) =>
      row([
        policyCell(s),
        formatPercent(s.accuracy),
        formatPercent(s.escalationRate),
        `${formatCount(s.visualTokensUsed)} / ${formatCount(s.visualTokensFullOnly)} (${formatPercent(s.visualTokenRatio)})`,
        formatCount(s.prefilledTokens),
        formatDuration(s.wallMs),
        `${formatDuration(s.latencyMs.p50)} / ${formatDuration(s.latencyMs.p90)}`,
        formatCount(s.items),
        formatCount(s.errors),
      ]),
    ),
  ];
}

/** At most {@link MAX_SWEEP_ROWS} points, evenly spread over the thresholds, always keeping the suggested one. */
function sweepRows(points: SweepPoint[], suggested: SweepPoint | null): SweepPoint[] {
  const sorted = [...points].sort((a, b) => a.threshold - b.threshold);
  if (sorted.length <= MAX_SWEEP_ROWS) return sorted;
  const keep = new Set<SweepPoint>();
  const last = sorted.length - 1;
  for (let i = 0; i < MAX_SWEEP_ROWS - 1; i++) {
    const point = sorted[Math.round((i * last) / (MAX_SWEEP_ROWS - 2))];
    if (point) keep.add(point);
  }
  const chosen = sorted.find((p) => suggested !== null && p.threshold === suggested.threshold);
  if (chosen) keep.add(chosen);
  return sorted.filter((p) => keep.has(p));
}

function sweepSection(report: EvalReport): string[] {
  const sweep = report.confidenceSweep;
  if (!sweep) return [];
  const reference = `${sweep.reference.policy}, ${formatPercent(sweep.reference.accuracy)}`;
  const out = ['## Confidence threshold sweep', ''];
  const s = sweep.suggested;
  out.push(
    s
      ? `Suggested threshold **${formatThreshold(s.threshold)}**: ${formatPercent(s.accuracy)} accuracy at ` +
          `${formatPercent(s.visualTokenRatio)} of the full-resolution visual tokens, escalating ` +
          `${formatPercent(s.escalationRate)} of the questions (reference: ${reference}).`
      : `No threshold kept the accuracy within one point of the reference (${reference}).`,
  );
  const rows = sweepRows(sweep.points, s);
  if (rows.length === 0) return out;
  out.push('');
  if (rows.length < sweep.points.length) out.push(`${rows.length} of the ${sweep.points.length} thresholds:`, '');
  out.push(
    row(['Threshold', 'Accuracy', 'Escalation rate', 'Visual tokens (ratio)']),
    row(['---:', '---:', '---:', '---:']),
  );
  for (const p of rows) {
    const mark = s !== null && p.threshold === s.threshold ? ' (suggested)' : '';
    out.push(
      row([
        `${formatThreshold(p.threshold)}${mark}`,
        formatPercent(p.accuracy),
        formatPercent(p.escalationRate),
        `${formatCount(p.visualTokensUsed)} (${formatPercent(p.visualTokenRatio)})`,
      ]),
    );
  }
  return out;
}

/**
 * The report as Markdown: what ran, the paper-style table of the policies, the confidence sweep,
 * the plot (when `plotFile`, a path relative to the Markdown file, is given) and what is missing.
 */
export function reportMarkdown(report: EvalReport, plotFile?: string): string {
  const { dataset } = report;
  const out = [
    `# VisionThink evaluation: ${md(report.model)} on ${md(dataset.label)}`,
    '',
    `- Model: ${md(report.model)} (backend: ${md(report.backend)})`,
    `- Dataset: ${md(dataset.label)} from ${md(dataset.source)}, scored by ${metricLabel(dataset.metric)}`,
    `- Sample: ${formatCount(report.limit)} of ${formatCount(dataset.size)} items, seed ${report.seed}`,
    `- Date: ${md(report.startedAt)} to ${md(report.finishedAt)}`,
    `- Visual tokens per image at most: ${formatCount(report.maxVisualTokens)}`,
  ];
  if (!report.complete) {
    out.push(
      '',
      '> **Incomplete run.** Not every item has a result for every policy yet; the figures cover the answers so far.',
    );
  }
  out.push('', '## Results', '');
  out.push(...(report.summaries.length > 0 ? summaryTable(report) : ['No results yet.']));
  const sweep = sweepSection(report);
  if (sweep.length > 0) out.push('', ...sweep);
  if (plotFile !== undefined) {
    out.push(
      '',
      '## Plot',
      '',
      `![Accuracy against the share of full-resolution visual tokens](${encodeURI(plotFile)})`,
    );
  }
  if (report.skipped.length > 0) {
    const n = report.skipped.length;
    out.push(
      '',
      `${formatCount(n)} ${n === 1 ? 'item was' : 'items were'} skipped (the image could not be loaded) and left out of every policy.`,
    );
  }
  return `${out.join('\n')}\n`;
}

/** One CSV field: quoted when it holds a comma, a quote or a line break, quotes doubled (RFC 4180). */
function csvField(value: string | number | boolean | null | undefined): string {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const CSV_HEADER = [
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
];

function csvRow(item: ItemResult): (string | number | boolean | null | undefined)[] {
  const a = item.attempt;
  return [
    item.itemId,
    item.policy,
    item.category,
    item.question,
    item.answers.join(' | '),
    a.prediction,
    a.score,
    a.escalated,
    a.visualTokens,
    item.fullResolutionTokens,
    a.prefilledTokens,
    a.generatedTokens,
    a.ms,
    item.sweep?.lowPass.confidence,
    item.error,
  ];
}

/**
 * Every item result as CSV (RFC 4180: a header row, CRLF line ends, quoted where needed), one row
 * per item and policy. `low_pass_confidence` is empty for policies without a low-resolution gate.
 */
export function reportCsv(report: EvalReport): string {
  const lines = [CSV_HEADER, ...report.items.map(csvRow)].map((fields) => fields.map(csvField).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** A name safe in every file system: runs of anything else as one "-", no leading dot or dash. */
function safeName(name: string): string {
  const safe = name
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[.-]+|[.-]+$/g, '')
    .slice(0, 80);
  return safe === '' ? 'unnamed' : safe;
}

/**
 * The stem the report's files share, `<YYYY-MM-DD>-<model>-<dataset>` (the run's start date in
 * UTC), so a run's JSON, Markdown, CSV and plot sort together:
 * "Senqiao/VisionThink-Efficient" on ChartQA → `2025-07-01-Senqiao-VisionThink-Efficient-chartqa`.
 */
export function resultFileStem(report: EvalReport): string {
  const started = new Date(report.startedAt);
  const date = Number.isNaN(started.getTime()) ? 'undated' : started.toISOString().slice(0, 10);
  return `${date}-${safeName(report.model)}-${safeName(report.dataset.id)}`;
}
