import { describe, expect, it } from 'vitest';
import { MODEL_REGISTRY } from '../engine/model-registry.ts';
import { formatBytes } from './format.ts';

describe('formatBytes: decimal (SI) units, three significant digits', () => {
  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [1000, '1 kB'],
    [310_000, '310 kB'],
    [303_412, '303 kB'],
    [999_999, '1 MB'],
    [26_000_000, '26 MB'],
    [735_000_000, '735 MB'],
    [2_700_000_000, '2.7 GB'],
    [10_034_567_890, '10 GB'],
    [3.2e12, '3.2 TB'],
  ])('%d bytes read "%s"', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});

describe('the README states the download sizes the app shows', async () => {
  const { readFile } = await import('node:fs/promises');
  const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
  // The models table of the Models section: | label (id) | repository | loads | download | budget |
  const section = readme.slice(
    readme.indexOf('\n## Models'),
    readme.indexOf('\n## ', readme.indexOf('\n## Models') + 1),
  );
  const rows = section.split('\n').filter((line) => /^\| .*\(`[^`]+`/.test(line));

  it('has a row for every model of the registry', () => {
    const ids = rows.map((row) => /\(`([^`]+)`/.exec(row)?.[1]);
    expect(ids.sort()).toEqual(MODEL_REGISTRY.map((entry) => entry.id).sort());
  });

  it.each(MODEL_REGISTRY.map((entry) => [entry.id, entry] as const))('%s', (id, entry) => {
    const row = rows.find((line) => line.includes(`(\`${id}\``));
    const download = row?.split('|')[4]?.trim() ?? '';
    // Every size the registry knows for the model's rungs, as the app formats it.
    const sizes = [...new Set(Object.values(entry.rungs).map((rung) => rung.downloadBytes))]
      .filter((bytes): bytes is number => bytes !== null)
      .map(formatBytes);
    expect(sizes.length).toBeGreaterThan(0);
    for (const size of sizes) expect(download).toContain(size);
  });
});
