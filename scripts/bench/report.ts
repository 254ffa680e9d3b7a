/** The benchmark's Markdown report: every table of results, and the targets met or missed. */
import type { BrowserFigures } from './browser-bench.ts';
import type { NodeResults } from './node-bench.ts';
import { formatBytes } from '../../src/engine/file-sizes.ts';

export interface BenchResults {
  date: string;
  machine: { cpu: string; cores: number; memoryGb: number; os: string; node: string };
  model: { name: string; description: string };
  settings: { runs: number; budget: number; questions: number; escalationShare: number };
  node: NodeResults;
  browser: BrowserFigures[];
  targets: Target[];
}

export interface Target {
  name: string;
  goal: string;
  measured: string;
  met: boolean | null;
}

const table = (head: string[], rows: (string | number | null)[][]): string =>
  [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.map((cell) => (cell === null ? '–' : String(cell))).join(' | ')} |`),
  ].join('\n');

const x = (value: number | null): string => (value === null ? '–' : `${value.toFixed(2)}×`);

/** The targets of the benchmark, judged on `node` and `browser`. */
export function judgeTargets(node: NodeResults, browser: readonly BrowserFigures[]): Target[] {
  const worst = (values: (number | null)[]): number | null =>
    values.some((value) => value === null) ? null : Math.max(...(values as number[]));
  const lowPass = worst(node.passes.map((pass) => pass.ratio.totalMs));
  const escalated = worst(node.escalation.map((row) => row.ratio.kvReuseVsFullOnly));
  const onlyAppended = node.escalation.every((row) => row.round2PrefillsOnlyAppended);
  const measuredBrowsers = browser.filter((figures) => figures.status === 'ok');
  const longTasks = measuredBrowsers.map((figures) => figures.run?.longTasks.count ?? 0);
  const js = measuredBrowsers.map((figures) => figures.jsBeforeWorkerGzipBytes ?? 0);
  const judged = (value: number | null, limit: number): boolean | null => (value === null ? null : value <= limit);
  return [
    {
      name: 'low-res pass (encode + prefill) vs full-res pass',
      goal: '≤ 0.30×',
      measured: `${x(lowPass)} (largest over the sizes)`,
      met: judged(lowPass, 0.3),
    },
    {
      name: 'escalated question with KV reuse vs full-only',
      goal: '≤ 1.30×',
      measured: `${x(escalated)} (largest over the sizes)`,
      met: judged(escalated, 1.3),
    },
    {
      name: 'round 2 prefills only the appended tokens',
      goal: 'yes',
      measured: onlyAppended ? 'yes, at every size' : 'no',
      met: onlyAppended,
    },
    {
      name: `mixed workload (${Math.round(node.mixed.share * 100)}% escalate) vs full-only: visual tokens`,
      goal: '≤ 0.55×',
      measured: x(node.mixed.ratio.visualTokens),
      met: judged(node.mixed.ratio.visualTokens, 0.55),
    },
    {
      name: `mixed workload (${Math.round(node.mixed.share * 100)}% escalate) vs full-only: time`,
      goal: '≤ 0.55×',
      measured: x(node.mixed.ratio.totalMs),
      met: judged(node.mixed.ratio.totalMs, 0.55),
    },
    {
      name: 'main-thread long tasks over 50 ms during a run',
      goal: '0',
      measured: longTasks.length === 0 ? 'not measured' : longTasks.join(', '),
      met: longTasks.length === 0 ? null : longTasks.every((count) => count === 0),
    },
    {
      name: 'JavaScript before the worker starts',
      goal: '≤ 100 kB gzip',
      measured: js.length === 0 ? 'not measured' : formatBytes(Math.max(...js)),
      met: js.length === 0 ? null : Math.max(...js) <= 100_000,
    },
  ];
}

export function renderReport(results: BenchResults): string {
  const { node, machine, settings } = results;
  const sections = [
    `# Benchmark ${results.date}`,
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGb} GB, ${machine.os}, Node ${machine.node}. ` +
      `Model: ${results.model.name} (${results.model.description}). Sections 1, 2 and 4: medians of ${settings.runs} runs after a warm-up; section 3: one pass, summed; ` +
      `visual-token budget ${settings.budget}; ratios are between figures of this run.`,
    '## Targets',
    table(
      ['target', 'goal', 'measured', 'met'],
      results.targets.map((t) => [t.name, t.goal, t.measured, t.met === null ? 'not measured' : t.met ? 'yes' : 'no']),
    ),
    '## 1. Low-resolution pass vs full-resolution pass (Node, CPU)',
    table(
      [
        'image',
        'low: pass, tokens',
        'full: pass, tokens',
        'encode ms low / full',
        'prefill ms low / full',
        'encode + prefill ms low / full',
        'ratio (tokens, time)',
      ],
      node.passes.map((p) => [
        p.size,
        `${p.low.width}×${p.low.height}, ${p.low.visualTokens}`,
        `${p.full.width}×${p.full.height}, ${p.full.visualTokens}`,
        `${p.low.encodeMs} / ${p.full.encodeMs}`,
        `${p.low.prefillMs} / ${p.full.prefillMs}`,
        `${p.low.totalMs} / ${p.full.totalMs}`,
        `${x(p.ratio.visualTokens)}, ${x(p.ratio.totalMs)}`,
      ]),
    ),
    '## 2. An escalated question: KV reuse vs re-prefill vs full-only (Node, CPU)',
    table(
      [
        'image',
        'KV reuse ms (prefilled)',
        're-prefill ms (prefilled)',
        'full-only ms (prefilled)',
        'reuse / full-only',
        're-prefill / full-only',
        'round 2 prefilled / appended',
      ],
      node.escalation.map((e) => [
        e.size,
        `${e.kvReuse.totalMs} (${e.kvReuse.prefilledTokens})`,
        `${e.rePrefill.totalMs} (${e.rePrefill.prefilledTokens})`,
        `${e.fullOnly.totalMs} (${e.fullOnly.prefilledTokens})`,
        x(e.ratio.kvReuseVsFullOnly),
        x(e.ratio.rePrefillVsFullOnly),
        `${e.kvReuse.round2PrefilledTokens} / ${e.kvReuse.round2AppendedTokens} (re-prefill: ${e.rePrefill.round2PrefilledTokens})`,
      ]),
    ),
    `## 3. Mixed workload: ${node.mixed.questions} questions over the sizes, ${node.mixed.escalated} escalate (${Math.round(node.mixed.share * 100)}%)`,
    table(
      ['', 'visual tokens', 'total ms'],
      [
        ['VisionThink', node.mixed.visionthink.visualTokens, node.mixed.visionthink.totalMs],
        ['confidence (same questions escalate)', node.mixed.confidence.visualTokens, node.mixed.confidence.totalMs],
        ['low-only', node.mixed.lowOnly.visualTokens, node.mixed.lowOnly.totalMs],
        ['full-only', node.mixed.fullOnly.visualTokens, node.mixed.fullOnly.totalMs],
        ['VisionThink / full-only', x(node.mixed.ratio.visualTokens), x(node.mixed.ratio.totalMs)],
        ['confidence / full-only', x(node.mixed.confidenceRatio.visualTokens), x(node.mixed.confidenceRatio.totalMs)],
      ],
    ),
    '## 4. Decoding and memory (Node, CPU)',
    `Decoding: ${node.decode.tokensPerSecond} tokens/s (${node.decode.tokens} tokens after the smallest image's low pass). ` +
      `Peak resident memory of the process: ${formatBytes(node.peakRssBytes)}.`,
    '## 5. The built app in headless Chromium (test model)',
    results.browser.length === 0
      ? 'Not run (`--no-browser`).'
      : table(
          [
            'backend',
            'status',
            'JS before worker (gzip)',
            'interactive ms',
            'model ready ms',
            '12 MP photo: decode ms',
            'resize ms (to)',
            'run ms',
            'long tasks > 50 ms (longest ms)',
          ],
          results.browser.map((b) => [
            `${b.backend}${b.device ? ` (${b.device})` : ''}`,
            b.status === 'ok' ? 'ok' : `${b.status}: ${b.error ?? ''}`,
            b.jsBeforeWorkerGzipBytes === undefined ? null : formatBytes(b.jsBeforeWorkerGzipBytes),
            b.timeToInteractiveMs ?? null,
            b.timeToModelReadyMs ?? null,
            b.photo?.decodeMs ?? null,
            b.photo ? `${b.photo.resizeMs} (${b.photo.resizedTo})` : null,
            b.run?.ms ?? null,
            b.run ? `${b.run.longTasks.count} (${b.run.longTasks.longestMs})` : null,
          ]),
        ),
  ];
  return `${sections.join('\n\n')}\n`;
}
