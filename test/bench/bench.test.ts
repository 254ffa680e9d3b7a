/**
 * `npm run bench` on the tiny bench model: every figure of the Node half is produced, the forced
 * paths are the ones asked for, and the report renders them. No timing is asserted: these
 * machines are too noisy for that, which is why the bench exists.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VisionModel } from '../../src/engine/vision-model.ts';
import { loadModelForNode } from '../../src/node/load-model.ts';
import { runNodeBench, type NodeResults } from '../../scripts/bench/node-bench.ts';
import { judgeTargets, renderReport } from '../../scripts/bench/report.ts';
import { escalationPattern, median, ratio } from '../../scripts/bench/stats.ts';
import { buildBenchModel } from '../../scripts/model/bench-model.ts';
import { writeModel } from '../../scripts/model/write-model.ts';

let dir: string;
let model: VisionModel;
let results: NodeResults;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'bench-model-'));
  await writeModel(dir, buildBenchModel('tiny'));
  model = await loadModelForNode(dir);
  results = await runNodeBench({
    model,
    sizes: [
      { width: 448, height: 448 },
      { width: 896, height: 672 },
    ],
    runs: 1,
    budget: 16384,
    questions: 4,
    escalationShare: 0.5,
  });
}, 300_000);

afterAll(async () => {
  await model.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('the Node bench on the tiny model', () => {
  it('compares the low and the full pass per size, with a quarter of the visual tokens at low', () => {
    expect(results.passes.map((pass) => pass.size)).toEqual(['448×448', '896×672']);
    for (const pass of results.passes) {
      expect(pass.low.visualTokens * 4).toBe(pass.full.visualTokens);
      expect(pass.low.width * 2).toBe(pass.full.width);
      expect(pass.ratio.visualTokens).toBe(0.25);
      for (const figures of [pass.low, pass.full]) {
        expect(figures.encodeMs).toBeGreaterThan(0);
        expect(figures.prefillMs).toBeGreaterThan(0);
        expect(figures.totalMs).toBeGreaterThan(0);
      }
      expect(pass.ratio.totalMs).toBeGreaterThan(0);
    }
  });

  it('compares an escalated question with KV reuse, with re-prefill and full-only', () => {
    for (const row of results.escalation) {
      expect(row.round2PrefillsOnlyAppended).toBe(true);
      expect(row.kvReuse.round2PrefilledTokens).toBe(row.kvReuse.round2AppendedTokens);
      // Re-prefilling runs the whole conversation through the decoder again.
      expect(row.rePrefill.round2PrefilledTokens).toBeGreaterThan(row.kvReuse.round2PrefilledTokens);
      expect(row.rePrefill.prefilledTokens).toBeGreaterThan(row.kvReuse.prefilledTokens);
      expect(row.kvReuse.visualTokens).toBeGreaterThan(row.fullOnly.visualTokens);
      for (const value of Object.values(row.ratio)) expect(value).toBeGreaterThan(0);
    }
  });

  it("compares a first question's prefill with and without the prompt prefix's cache", () => {
    expect(results.prefixCache.map((row) => row.size)).toEqual(['448×448', '896×672']);
    for (const [i, row] of results.prefixCache.entries()) {
      const pass = results.passes[i] as NodeResults['passes'][number];
      expect(row.prefixTokens).toBeGreaterThan(100);
      for (const resolution of ['low', 'full'] as const) {
        // Without the cache the prefix is prefilled again, and nothing else changes.
        expect(row.withoutPrefix[resolution].prefilledTokens).toBe(
          row.withPrefix[resolution].prefilledTokens + row.prefixTokens,
        );
        expect(row.withPrefix[resolution].prefillMs).toBeGreaterThan(0);
        expect(row.withoutPrefix[resolution].prefillMs).toBeGreaterThan(0);
      }
      // The passes differ by their visual tokens only.
      expect(row.withPrefix.full.prefilledTokens - row.withPrefix.low.prefilledTokens).toBe(
        pass.full.visualTokens - pass.low.visualTokens,
      );
      expect(row.withPrefix.lowVsFullPrefillMs).toBeGreaterThan(0);
      expect(row.withoutPrefix.lowVsFullPrefillMs).toBeGreaterThan(0);
    }
  });

  it('measures a follow-up against the first question: it prefills only its own turn', () => {
    expect(results.followUp.map((row) => row.size)).toEqual(['448×448', '896×672']);
    for (const [i, row] of results.followUp.entries()) {
      const prefix = results.prefixCache[i] as NodeResults['prefixCache'][number];
      expect(row.prefillsOnlyItsTurn).toBe(true);
      expect(row.followUp.prefilledTokens).toBe(row.followUp.turnTokens);
      // The follow-up's turn repeats the protocol's instructions before the question.
      expect(row.followUp.turnTokens).toBeGreaterThan(50);
      // The first question is the low pass from the prefix's cache.
      expect(row.first.prefilledTokens).toBe(prefix.withPrefix.low.prefilledTokens);
      expect(row.first.timeToFirstTokenMs).toBeGreaterThan(0);
      expect(row.followUp.timeToFirstTokenMs).toBeGreaterThan(0);
      expect(row.ratio.timeToFirstToken).toBeGreaterThan(0);
    }
  });

  it('runs the mixed workload with the share of escalations asked for', () => {
    expect(results.mixed).toMatchObject({ questions: 4, escalated: 2, share: 0.5 });
    const [small, large] = results.passes as [NodeResults['passes'][number], NodeResults['passes'][number]];
    // Questions alternate over the sizes; questions 2 and 4 (both the larger image) escalate.
    expect(results.mixed.visionthink.visualTokens).toBe(
      2 * small.low.visualTokens + 2 * (large.low.visualTokens + large.full.visualTokens),
    );
    expect(results.mixed.fullOnly.visualTokens).toBe(2 * small.full.visualTokens + 2 * large.full.visualTokens);
    expect(results.mixed.ratio.totalMs).toBeGreaterThan(0);
    // The confidence gate takes the same questions to the full image, so it spends the same tokens.
    expect(results.mixed.confidence.visualTokens).toBe(results.mixed.visionthink.visualTokens);
    expect(results.mixed.lowOnly.visualTokens).toBe(2 * small.low.visualTokens + 2 * large.low.visualTokens);
    expect(results.mixed.confidenceRatio.totalMs).toBeGreaterThan(0);
  });

  it('measures decoding speed and peak memory', () => {
    expect(results.decode.tokens).toBeGreaterThan(50);
    expect(results.decode.tokensPerSecond).toBeGreaterThan(0);
    expect(results.peakRssBytes).toBeGreaterThan(0);
  });

  it('renders every section and judges every target', () => {
    const targets = judgeTargets(results, []);
    expect(targets).toHaveLength(8);
    expect(targets.find((t) => t.name.startsWith('round 2'))?.met).toBe(true);
    expect(targets.find((t) => t.name.startsWith('a follow-up'))?.met).toBe(true);
    expect(targets.filter((t) => t.met === null).map((t) => t.measured)).toEqual(['not measured', 'not measured']);
    const report = renderReport({
      date: '2026-01-01',
      machine: { cpu: 'Test CPU', cores: 2, memoryGb: 8, os: 'Linux', node: '20' },
      model: { name: 'visionthink-bench-tiny', description: 'tiny' },
      settings: { runs: 1, budget: 16384, questions: 4, escalationShare: 0.5 },
      node: results,
      browser: [],
      targets,
    });
    for (const heading of ['## Targets', '## 1.', '## 2.', '## 3.', '## 4.', '## 5.', '## 6.', '## 7.'])
      expect(report).toContain(heading);
    expect(report).toContain('| 896×672 |');
    const follow = results.followUp[1] as NodeResults['followUp'][number];
    expect(report).toContain(`| ${follow.followUp.prefilledTokens} / ${follow.followUp.turnTokens} |`);
    expect(report).toContain(`the prompt prefix (${results.prefixCache[0]?.prefixTokens ?? 0} tokens:`);
  });
});

describe('bench statistics', () => {
  it('takes medians and ratios', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(ratio(1, 3)).toBe(0.333);
    expect(ratio(1, 0)).toBeNull();
  });

  it('spreads escalations evenly at the share asked for', () => {
    const pattern = escalationPattern(25, 0.36);
    expect(pattern.filter(Boolean)).toHaveLength(9);
    expect(escalationPattern(4, 0.5)).toEqual([false, true, false, true]);
    expect(escalationPattern(3, 0)).toEqual([false, false, false]);
  });
});
