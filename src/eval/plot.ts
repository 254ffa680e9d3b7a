/**
 * The report's plot: accuracy against the share of the always-full-resolution visual tokens, the
 * paper's trade-off in one picture. Plain strings, no DOM, so it renders in Node and the worker.
 */
import type { PolicyId } from '../engine/policies.ts';
import { formatPercent, formatThreshold, metricLabel } from './format.ts';
import { placeLabels, type LabelObstacles, type LabelRequest } from './plot-labels.ts';
import { attrs, escapeXml, px, svgText } from './svg.ts';
import type { EvalReport, PolicySummary, SweepPoint } from './types.ts';

/** Where a report's values land on the canvas, in SVG user units. */
export interface PlotScales {
  /** A visual-token ratio (1 = always full resolution) to an x coordinate. */
  x(ratio: number): number;
  /** An accuracy (0 to 1) to a y coordinate. */
  y(accuracy: number): number;
  xTicks: number[];
  yTicks: number[];
  /** The plotting area; the legend sits to the right of it. */
  area: { left: number; right: number; top: number; bottom: number };
}

/** Options of {@link renderPlotSvg}. */
export interface PlotOptions {
  width?: number;
  height?: number;
  /** Defaults to the model and the dataset. */
  title?: string;
}

const MARGIN = { top: 60, right: 200, bottom: 56, left: 64 };
const LABEL_SIZE = 11;

/**
 * Mid-tone colours, each at least 3.8:1 against both white and near-black, so the series read in
 * the app's light and dark themes alike; text and axes use `currentColor` and follow the page.
 */
const POLICY_COLOURS: Readonly<Record<PolicyId, string>> = {
  visionthink: '#2f7fd0',
  confidence: '#c46a00',
  'low-only': '#15935f',
  'full-only': '#b565a7',
};

/** A round step (1, 2, 2.5 or 5 times a power of ten) at least `raw`, so ticks read as round numbers. */
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].find((m) => m * power >= raw * (1 - 1e-9)) ?? 10;
  return step * power;
}

/** Ticks from `min` to `max` by `step`, rounded so that 0.1 + 0.2 prints as 0.3. */
function ticks(min: number, max: number, step: number): number[] {
  const out: number[] = [];
  for (let i = 0; min + i * step <= max + step * 1e-6; i++) out.push(Number((min + i * step).toFixed(10)));
  return out;
}

const finite = (values: number[]): number[] => values.filter((v) => Number.isFinite(v));

/**
 * The scales of a report's plot. The x axis runs from 0 to at least 100 % (further when an
 * escalation cost more than full resolution: the low pass is paid on top); the y axis is zoomed to
 * the accuracies, because policies a few points apart would otherwise overlap.
 */
export function plotScales(report: EvalReport, width: number, height: number): PlotScales {
  const sweep = report.confidenceSweep?.points ?? [];
  const ratios = finite([...report.summaries.map((s) => s.visualTokenRatio), ...sweep.map((p) => p.visualTokenRatio)]);
  const accuracies = finite([...report.summaries.map((s) => s.accuracy), ...sweep.map((p) => p.accuracy)]);

  const xStep = niceStep(Math.max(1, ...ratios) / 6);
  const xMax = Math.ceil(Math.max(1, ...ratios) / xStep - 1e-9) * xStep;

  const low = accuracies.length > 0 ? Math.min(...accuracies) : 0;
  const high = accuracies.length > 0 ? Math.max(...accuracies) : 1;
  const pad = Math.max(0.02, (high - low) * 0.1);
  const yStep = niceStep(Math.max(0.01, (Math.min(1, high + pad) - Math.max(0, low - pad)) / 5));
  const yMin = Math.max(0, Math.floor(Math.max(0, low - pad) / yStep + 1e-9) * yStep);
  const yMax = Math.min(1, Math.ceil(Math.min(1, high + pad) / yStep - 1e-9) * yStep);

  const area = { left: MARGIN.left, right: width - MARGIN.right, top: MARGIN.top, bottom: height - MARGIN.bottom };
  return {
    x: (ratio) => area.left + (ratio / xMax) * (area.right - area.left),
    y: (accuracy) => area.bottom - ((accuracy - yMin) / (yMax - yMin)) * (area.bottom - area.top),
    xTicks: ticks(0, xMax, xStep),
    yTicks: ticks(yMin, yMax, yStep),
    area,
  };
}

const sortedSweep = (points: SweepPoint[]): SweepPoint[] =>
  [...points].sort((a, b) => a.visualTokenRatio - b.visualTokenRatio || a.threshold - b.threshold);

/** A policy's name on the plot: the confidence policy with the threshold its summary is at. */
const policyName = (s: PolicySummary): string =>
  s.threshold === undefined ? s.policy : `${s.policy} (t = ${formatThreshold(s.threshold)})`;

const figures = (accuracy: number, ratio: number): string =>
  `${formatPercent(accuracy)} at ${formatPercent(ratio)} of full-resolution tokens`;

function describe(report: EvalReport): string {
  const parts = report.summaries.map((s) => `${policyName(s)}: ${figures(s.accuracy, s.visualTokenRatio)}.`);
  const sweep = report.confidenceSweep;
  if (sweep && sweep.points.length > 0) {
    const thresholds = sweep.points.map((p) => p.threshold);
    parts.push(
      `Confidence sweep over ${sweep.points.length} thresholds from ${formatThreshold(Math.min(...thresholds))} to ${formatThreshold(Math.max(...thresholds))}.`,
    );
  }
  if (sweep?.suggested) {
    const s = sweep.suggested;
    parts.push(`Suggested threshold ${formatThreshold(s.threshold)}: ${figures(s.accuracy, s.visualTokenRatio)}.`);
  }
  const head = `Accuracy (${metricLabel(report.dataset.metric)}) against visual tokens used, as a share of always full resolution, for ${report.model} on ${report.dataset.label}.`;
  return [head, ...parts].join(' ');
}

function axes(report: EvalReport, s: PlotScales): string[] {
  const { left, right, top, bottom } = s.area;
  const grid = 'stroke="currentColor" stroke-opacity="0.15"';
  const out = [`<g class="axes" fill="currentColor">`];
  for (const t of s.xTicks) {
    out.push(`<line x1="${px(s.x(t))}" x2="${px(s.x(t))}" y1="${top}" y2="${bottom}" ${grid}/>`);
    out.push(svgText(s.x(t), bottom + 18, formatPercent(t, 0), { 'text-anchor': 'middle' }));
  }
  for (const t of s.yTicks) {
    out.push(`<line x1="${left}" x2="${right}" y1="${px(s.y(t))}" y2="${px(s.y(t))}" ${grid}/>`);
    out.push(svgText(left - 8, s.y(t) + 4, formatPercent(t, 0), { 'text-anchor': 'end' }));
  }
  out.push(`<path d="M${left} ${top}V${bottom}H${right}" fill="none" stroke="currentColor"/>`);
  if ((s.xTicks.at(-1) ?? 1) > 1) {
    // Past 100 % a policy costs more than always showing the full image; the line says where that starts.
    out.push(
      `<line x1="${px(s.x(1))}" x2="${px(s.x(1))}" y1="${top}" y2="${bottom}" stroke="currentColor" stroke-opacity="0.5" stroke-dasharray="2 3"/>`,
    );
  }
  out.push(
    svgText((left + right) / 2, bottom + 42, 'Visual tokens, % of always full resolution', { 'text-anchor': 'middle' }),
  );
  const yLabel = `Accuracy, % (${metricLabel(report.dataset.metric)})`;
  out.push(
    svgText(0, 0, yLabel, {
      'text-anchor': 'middle',
      transform: `translate(18 ${px((top + bottom) / 2)}) rotate(-90)`,
    }),
  );
  out.push('</g>');
  return out;
}

function legend(report: EvalReport, s: PlotScales): string[] {
  const x = s.area.right + 24;
  let y = s.area.top + 6;
  const out = [`<g class="legend" fill="currentColor">`];
  const entry = (marker: string, label: string): void => {
    out.push(marker, svgText(x + 22, y + 4, label));
    y += 20;
  };
  for (const summary of report.summaries) {
    entry(
      `<circle cx="${x + 8}" cy="${y}" r="5" fill="${POLICY_COLOURS[summary.policy]}" stroke="currentColor" stroke-width="0.75"/>`,
      policyName(summary),
    );
  }
  const sweep = report.confidenceSweep;
  const orange = POLICY_COLOURS.confidence;
  if (sweep && sweep.points.length > 0) {
    entry(
      `<path d="M${x} ${y}h16" stroke="${orange}" stroke-width="2"/><circle cx="${x + 8}" cy="${y}" r="2.5" fill="${orange}"/>`,
      'confidence sweep',
    );
  }
  if (sweep?.suggested)
    entry(
      `<circle cx="${x + 8}" cy="${y}" r="6" fill="none" stroke="${orange}" stroke-width="2"/>`,
      'suggested threshold',
    );
  if (report.summaries.some((sm) => sm.policy === 'full-only')) {
    entry(
      `<path d="M${x} ${y}h16" stroke="${POLICY_COLOURS['full-only']}" stroke-width="1.5" stroke-dasharray="4 3"/>`,
      'full-only accuracy',
    );
  }
  out.push('</g>');
  return out;
}

function series(report: EvalReport, s: PlotScales): string[] {
  const out: string[] = [];
  const labels: LabelRequest[] = [];
  const obstacles: LabelObstacles = { segments: [], discs: [], area: s.area };

  const fullOnly = report.summaries.find((sm) => sm.policy === 'full-only');
  if (fullOnly) {
    const y = s.y(fullOnly.accuracy);
    const data = { 'data-policy': 'full-only', 'data-accuracy': fullOnly.accuracy };
    const ends = { x1: s.area.left, x2: s.area.right, y1: px(y), y2: px(y) };
    const look = { stroke: POLICY_COLOURS['full-only'], 'stroke-width': 1.5, 'stroke-dasharray': '6 4' };
    out.push(`<line class="reference" ${attrs({ ...data, ...ends, ...look })}/>`);
    obstacles.segments.push([s.area.left, y, s.area.right, y]);
  }

  const sweep = report.confidenceSweep;
  const colour = POLICY_COLOURS.confidence;
  if (sweep && sweep.points.length > 0) {
    const points = sortedSweep(sweep.points).map((p) => ({ p, x: s.x(p.visualTokenRatio), y: s.y(p.accuracy) }));
    const path = points.map(({ x, y }) => `${px(x)},${px(y)}`).join(' ');
    const look = { fill: 'none', stroke: colour, 'stroke-width': 1.5, 'stroke-opacity': 0.8 };
    out.push(`<polyline class="sweep" ${attrs({ points: path, ...look })}/>`);
    points.forEach(({ p, x, y }, i) => {
      const data = { 'data-threshold': p.threshold, 'data-accuracy': p.accuracy, 'data-ratio': p.visualTokenRatio };
      const tip = `threshold ${formatThreshold(p.threshold)}: ${figures(p.accuracy, p.visualTokenRatio)}`;
      out.push(
        `<circle class="sweep-point" ${attrs({ ...data, cx: px(x), cy: px(y), r: 2.5, fill: colour })}>` +
          `<title>${escapeXml(tip)}</title></circle>`,
      );
      obstacles.discs.push({ x, y, r: 2.5 });
      const next = points[i + 1];
      if (next) obstacles.segments.push([x, y, next.x, next.y]);
    });
  }

  for (const summary of report.summaries) {
    const [x, y] = [s.x(summary.visualTokenRatio), s.y(summary.accuracy)];
    const data = {
      'data-policy': summary.policy,
      'data-accuracy': summary.accuracy,
      'data-ratio': summary.visualTokenRatio,
    };
    const look = { r: 6, fill: POLICY_COLOURS[summary.policy], stroke: 'currentColor', 'stroke-width': 0.75 };
    const tip = `${policyName(summary)}: ${figures(summary.accuracy, summary.visualTokenRatio)}`;
    out.push(
      `<circle class="point" ${attrs({ ...data, cx: px(x), cy: px(y), ...look })}><title>${escapeXml(tip)}</title></circle>`,
    );
    obstacles.discs.push({ x, y, r: 6 });
    const content = `${summary.policy} ${formatPercent(summary.accuracy)} · ${formatPercent(summary.visualTokenRatio, 0)}`;
    labels.push({ x, y, r: 6, content });
  }

  if (sweep?.suggested) {
    const p = sweep.suggested;
    const [x, y] = [s.x(p.visualTokenRatio), s.y(p.accuracy)];
    const data = { 'data-threshold': p.threshold, 'data-accuracy': p.accuracy, 'data-ratio': p.visualTokenRatio };
    const look = { r: 8, fill: 'none', stroke: colour, 'stroke-width': 2 };
    out.push(`<circle class="suggested" ${attrs({ ...data, cx: px(x), cy: px(y), ...look })}/>`);
    labels.push({ x, y, r: 8, content: `suggested t = ${formatThreshold(p.threshold)}` });
  }

  out.push(`<g class="labels" fill="currentColor" font-size="${LABEL_SIZE}">`);
  for (const l of placeLabels(labels, obstacles, LABEL_SIZE)) {
    out.push(svgText(l.x, l.y, l.content, { 'text-anchor': l.anchor }));
  }
  out.push('</g>');
  return out;
}

/**
 * The report's plot as a self-contained SVG: one point per policy, the confidence sweep as a line
 * with its suggested threshold ringed, and full-only's accuracy as a dashed reference. Every mark
 * carries its JSON values as `data-*` attributes so tests (and people) can read them back.
 */
export function renderPlotSvg(report: EvalReport, options: PlotOptions = {}): string {
  const width = options.width ?? 760;
  const height = options.height ?? 480;
  const title = options.title ?? `${report.model} on ${report.dataset.label}`;
  const empty = report.summaries.length === 0;
  const open =
    `<svg xmlns="http://www.w3.org/2000/svg" ${attrs({ width, height, viewBox: `0 0 ${width} ${height}` })} role="img" ` +
    `font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="12">`;
  const head = [open, `<title>${escapeXml(title)}</title>`];
  if (empty) {
    return [
      ...head,
      `<desc>${escapeXml(`No results yet for ${report.model} on ${report.dataset.label}.`)}</desc>`,
      svgText(width / 2, height / 2, 'No results yet', {
        'text-anchor': 'middle',
        fill: 'currentColor',
        'font-size': 16,
      }),
      '</svg>',
      '',
    ].join('\n');
  }
  const scales = plotScales(report, width, height);
  const items = Math.max(...report.summaries.map((sm) => sm.items));
  const subtitle = `${items} items · seed ${report.seed} · ${metricLabel(report.dataset.metric)}${report.complete ? '' : ' · incomplete run'}`;
  return [
    ...head,
    `<desc>${escapeXml(describe(report))}</desc>`,
    `<g fill="currentColor">`,
    svgText(MARGIN.left, 24, title, { 'font-size': 15, 'font-weight': 600 }),
    svgText(MARGIN.left, 42, subtitle, { 'fill-opacity': 0.75 }),
    '</g>',
    ...axes(report, scales),
    ...series(report, scales),
    ...legend(report, scales),
    '</svg>',
    '',
  ].join('\n');
}
