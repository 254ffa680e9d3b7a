/** The dataset table: ids, look-up, and the shape every hub entry needs. */
import { describe, expect, it } from 'vitest';
import { DATASETS, datasetIds, findDataset } from '../../src/eval/datasets.ts';

describe('the dataset table', () => {
  it('lists the built-in set and the five hub datasets, each under its own id', () => {
    expect(datasetIds()).toEqual(['synthetic', 'chartqa', 'docvqa', 'textvqa', 'ocrbench', 'pope']);
    for (const [key, entry] of Object.entries(DATASETS)) expect(entry.id).toBe(key);
  });

  it('finds an entry by id in any case', () => {
    expect(findDataset('ChartQA')).toBe(DATASETS.chartqa);
    expect(findDataset(' pope ')).toBe(DATASETS.pope);
  });

  it('lists the ids when asked for one it does not have', () => {
    expect(() => findDataset('vqav2')).toThrow(
      'There is no dataset "vqav2". The datasets are: synthetic, chartqa, docvqa, textvqa, ocrbench, pope. A new one is an entry in src/eval/datasets.ts.',
    );
    expect(() => findDataset('toString')).toThrow('There is no dataset "toString".');
  });
});
