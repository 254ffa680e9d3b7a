/** The benchmark's Markdown report: every table of results, and the targets met or missed. */
import type { BrowserFigures } from './browser-bench.ts';
import { FOLLOW_UP } from './conversation-bench.ts';
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
  const onlyItsTurn = node.followUp.every((row) => row.prefillsOnlyItsTurn);
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
      name: 'a follow-up question prefills only its own turn',
      goal: 'yes',
      measured: onlyItsTurn ? 'yes, at every size' : 'no',
      met: onlyItsTurn,
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

/** The prompt prefix's length, the same at every size (one figure, or each where they differ). */
function prefixTokens(node: NodeResults): string {
  return [...new Set(node.prefixCache.map((p) => p.prefixTokens))].join(', ');
}

/** The Markdown report of `results`. */
export function renderReport(results: BenchResults): string {
  const { node, machine, settings } = results;
  const sections = [
    `# Benchmark ${results.date}`,
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGb} GB, ${machine.os}, Node ${machine.node}. ` +
      `Model: ${results.model.name} (${results.model.description}). Sections 1–4 and 6: medians of ${settings.runs} runs after a warm-up; section 5: one pass, summed; ` +
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
    "## 3. The prompt prefix's cache: a first question's prefill with and without it (Node, CPU)",
    `With the cache, the prompt prefix (${prefixTokens(node)} tokens: the system prompt, the tools and the ` +
      'instructions up to the image) was computed before the measured runs, as a loaded model holds it after its ' +
      'first question; without it (`prefixCache: false`), every question prefills its whole prompt.',
    table(
      [
        'image',
        'low pass prefilled tokens with / without',
        'full pass prefilled tokens with / without',
        'low prefill ms with / without',
        'full prefill ms with / without',
        'low / full prefill time with',
        'low / full prefill time without',
      ],
      node.prefixCache.map((p) => [
        p.size,
        `${p.withPrefix.low.prefilledTokens} / ${p.withoutPrefix.low.prefilledTokens}`,
        `${p.withPrefix.full.prefilledTokens} / ${p.withoutPrefix.full.prefilledTokens}`,
        `${p.withPrefix.low.prefillMs} / ${p.withoutPrefix.low.prefillMs}`,
        `${p.withPrefix.full.prefillMs} / ${p.withoutPrefix.full.prefillMs}`,
        x(p.withPrefix.lowVsFullPrefillMs),
        x(p.withoutPrefix.lowVsFullPrefillMs),
      ]),
    ),
    "## 4. A follow-up question on the first one's cache (Node, CPU)",
    `The first question is answered from the low-resolution image, starting from the prompt prefix's cache (computed before the measured runs); the ` +
      `follow-up ("${FOLLOW_UP}") appends its own turn to the conversation. Time to first token: from asking to ` +
      "the first generated token. The follow-up's turn is counted by encoding it on its own (plus the answer's " +
      '`<|im_end|>`, which the decoder had not run yet).',
    table(
      [
        'image',
        'first question: ms to first token (prefilled)',
        'follow-up: ms to first token (prefilled)',
        'follow-up / first',
        'follow-up prefilled / its turn',
      ],
      node.followUp.map((f) => [
        f.size,
        `${f.first.timeToFirstTokenMs} (${f.first.prefilledTokens})`,
        `${f.followUp.timeToFirstTokenMs} (${f.followUp.prefilledTokens})`,
        x(f.ratio.timeToFirstToken),
        `${f.followUp.prefilledTokens} / ${f.followUp.turnTokens}`,
      ]),
    ),
    `## 5. Mixed workload: ${node.mixed.questions} questions over the sizes, ${node.mixed.escalated} escalate (${Math.round(node.mixed.share * 100)}%)`,
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
    '## 6. Decoding and memory (Node, CPU)',
    `Decoding: ${node.decode.tokensPerSecond} tokens/s (${node.decode.tokens} tokens after the smallest image's low pass). ` +
      `Peak resident memory of the process: ${formatBytes(node.peakRssBytes)}.`,
    '## 7. The built app in headless Chromium (test model)',
    results.browser.length === 0
      ? 'Not run (`--browser none`).'
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
