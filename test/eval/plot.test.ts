/**
 * The report's plot: every mark sits where the scales put its JSON values, carries those values
 * exactly, and the SVG stays well-formed whatever the model is called. Well-formedness is checked
 * by librsvg (through sharp), a real XML parser, rather than by eye.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { plotScales, renderPlotSvg } from '../../src/eval/plot.ts';
import { SWEEP, fixtureReport } from './report-fixture.ts';

interface SvgElement {
  attrs: Record<string, string>;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const unescapeXml = (text: string): string =>
  text.replace(/&(amp|lt|gt|quot|apos);/g, (_, name: string) => ENTITIES[name] ?? '');

/** The start tags of one element name with their attributes; the SVG is generated, so a regex suffices. */
function elements(svg: string, name: string, className?: string): SvgElement[] {
  const found = [...svg.matchAll(new RegExp(`<${name}\\b([^>]*?)/?>`, 'g'))].map((m) => {
    const pairs = [...(m[1] ?? '').matchAll(/([\w:-]+)="([^"]*)"/g)];
    const attrs: Record<string, string> = {};
    for (const [, key = '', value = ''] of pairs) attrs[key] = unescapeXml(value);
    return { attrs };
  });
  return className === undefined ? found : found.filter((e) => e.attrs.class === className);
}

const num = (e: SvgElement | undefined, name: string): number => Number(e?.attrs[name]);

/** Whether librsvg parses the SVG; it rejects malformed XML. */
const renders = async (svg: string): Promise<boolean> =>
  sharp(Buffer.from(svg))
    .png()
    .toBuffer()
    .then(
      () => true,
      () => false,
    );

const textOf = (svg: string, tag: string): string | undefined => {
  const match = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(svg);
  return match?.[1] === undefined ? undefined : unescapeXml(match[1]);
};

describe('renderPlotSvg', () => {
  const report = fixtureReport();
  const svg = renderPlotSvg(report);
  const scales = plotScales(report, 760, 480);

  it('matches the reviewed rendering', async () => {
    await expect(svg).toMatchFileSnapshot('__snapshots__/plot.svg');
  });

  it('places each policy at the scales of its ratio and accuracy, with the exact JSON values', () => {
    const points = elements(svg, 'circle', 'point');
    expect(points.map((p) => p.attrs['data-policy'])).toEqual(['visionthink', 'confidence', 'low-only', 'full-only']);
    for (const summary of report.summaries) {
      const point = points.find((p) => p.attrs['data-policy'] === summary.policy);
      expect(num(point, 'data-accuracy')).toBe(summary.accuracy);
      expect(num(point, 'data-ratio')).toBe(summary.visualTokenRatio);
      expect(Math.abs(num(point, 'cx') - scales.x(summary.visualTokenRatio))).toBeLessThan(0.01);
      expect(Math.abs(num(point, 'cy') - scales.y(summary.accuracy))).toBeLessThan(0.01);
    }
    expect(new Set(points.map((p) => p.attrs.fill)).size).toBe(4);
  });

  it('draws the sweep through its points in order of ratio, each dot with its threshold', () => {
    const sorted = [...SWEEP].sort((a, b) => a.visualTokenRatio - b.visualTokenRatio);
    const [polyline] = elements(svg, 'polyline', 'sweep');
    const vertices = (polyline?.attrs.points ?? '').split(' ').map((pair) => pair.split(',').map(Number));
    expect(vertices).toHaveLength(SWEEP.length);
    vertices.forEach(([x, y], i) => {
      const p = sorted[i];
      expect(Math.abs((x ?? NaN) - scales.x(p?.visualTokenRatio ?? NaN))).toBeLessThan(0.01);
      expect(Math.abs((y ?? NaN) - scales.y(p?.accuracy ?? NaN))).toBeLessThan(0.01);
    });
    const dots = elements(svg, 'circle', 'sweep-point');
    expect(dots.map((d) => num(d, 'data-threshold'))).toEqual([0.5, 0.6, 0.7, 0.8, 0.9]);
    for (const dot of dots) {
      const p = SWEEP.find((s) => s.threshold === num(dot, 'data-threshold'));
      expect([num(dot, 'data-ratio'), num(dot, 'data-accuracy')]).toEqual([p?.visualTokenRatio, p?.accuracy]);
      expect(Math.abs(num(dot, 'cx') - scales.x(p?.visualTokenRatio ?? NaN))).toBeLessThan(0.01);
      expect(Math.abs(num(dot, 'cy') - scales.y(p?.accuracy ?? NaN))).toBeLessThan(0.01);
    }
  });

  it('rings the suggested threshold and labels it', () => {
    const [ring] = elements(svg, 'circle', 'suggested');
    expect(num(ring, 'data-threshold')).toBe(0.7);
    expect(Math.abs(num(ring, 'cx') - scales.x(0.55))).toBeLessThan(0.01);
    expect(Math.abs(num(ring, 'cy') - scales.y(0.81))).toBeLessThan(0.01);
    expect(svg).toContain('>suggested t = 0.7</text>');
  });

  it("draws full-only's accuracy as a dashed line across the plot, and none without full-only", () => {
    const [line] = elements(svg, 'line', 'reference');
    expect(num(line, 'data-accuracy')).toBe(0.8233333333333334);
    expect(num(line, 'y1')).toBe(num(line, 'y2'));
    expect(Math.abs(num(line, 'y1') - scales.y(0.8233333333333334))).toBeLessThan(0.01);
    expect([num(line, 'x1'), num(line, 'x2')]).toEqual([scales.area.left, scales.area.right]);
    expect(line?.attrs['stroke-dasharray']).toBeDefined();

    const withoutFull = fixtureReport({ summaries: report.summaries.filter((s) => s.policy !== 'full-only') });
    const other = renderPlotSvg(withoutFull);
    expect(elements(other, 'line', 'reference')).toEqual([]);
    expect(other).not.toContain('full-only accuracy');
  });

  it('runs the x axis past 100 % when an escalation cost more than full resolution, else to 100 %', () => {
    expect(scales.xTicks[0]).toBe(0);
    expect(scales.xTicks.at(-1)).toBeGreaterThanOrEqual(1.05);
    expect(scales.x(scales.xTicks.at(-1) ?? NaN)).toBeCloseTo(scales.area.right, 6);
    expect(svg).toContain('>100%</text>');

    const cheap = fixtureReport({ confidenceSweep: null });
    expect(plotScales(cheap, 760, 480).xTicks).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  });

  it('keeps every mark inside the plotting area and follows the requested size', () => {
    const small = renderPlotSvg(report, { width: 520, height: 320, title: 'Small' });
    const s = plotScales(report, 520, 320);
    expect(small).toContain('viewBox="0 0 520 320"');
    for (const dot of [...elements(small, 'circle', 'point'), ...elements(small, 'circle', 'sweep-point')]) {
      expect(Math.abs(num(dot, 'cx') - s.x(num(dot, 'data-ratio')))).toBeLessThan(0.01);
      expect(num(dot, 'cx')).toBeGreaterThanOrEqual(s.area.left);
      expect(num(dot, 'cx')).toBeLessThanOrEqual(s.area.right);
      expect(num(dot, 'cy')).toBeGreaterThanOrEqual(s.area.top);
      expect(num(dot, 'cy')).toBeLessThanOrEqual(s.area.bottom);
    }
    expect(textOf(small, 'title')).toBe('Small');
  });

  it('is an image with a title and a description of the points in words', () => {
    expect(svg).toMatch(/^<svg [^>]*role="img"/);
    expect(textOf(svg, 'title')).toBe('Senqiao/VisionThink-Efficient on ChartQA');
    const desc = textOf(svg, 'desc') ?? '';
    expect(desc).toContain('visionthink: 80.3% at 61.0% of full-resolution tokens.');
    expect(desc).toContain('confidence (t = 0.7): 81.0% at 55.0% of full-resolution tokens.');
    expect(desc).toContain('Confidence sweep over 5 thresholds from 0.5 to 0.9.');
    expect(desc).toContain('Suggested threshold 0.7: 81.0% at 55.0% of full-resolution tokens.');
    // Text and axes follow the embedding page's colour, so the plot reads in both themes.
    expect(svg).not.toMatch(/fill="#(000|fff)/i);
    expect(svg).toContain('fill="currentColor"');
  });

  it('escapes the model and dataset names so the SVG stays valid XML', async () => {
    const nasty = fixtureReport({
      model: 'team <&> "vlm" \'v2\'',
      dataset: { ...report.dataset, label: 'Charts & <Docs>' },
    });
    const out = renderPlotSvg(nasty);
    expect(out).not.toContain('<&>');
    expect(textOf(out, 'title')).toBe('team <&> "vlm" \'v2\' on Charts & <Docs>');
    expect(await renders(out)).toBe(true);
    // The check can fail: the same text unescaped is rejected.
    expect(await renders(out.replace('team &lt;&amp;&gt;', 'team <&>'))).toBe(false);
  });

  it('says "No results yet" for a report without summaries', async () => {
    const empty = renderPlotSvg(fixtureReport({ summaries: [], confidenceSweep: null, items: [] }));
    expect(empty).toContain('>No results yet</text>');
    expect(empty).toMatch(/^<svg [^>]*role="img"/);
    expect(elements(empty, 'circle')).toEqual([]);
    expect(await renders(empty)).toBe(true);
  });
});
