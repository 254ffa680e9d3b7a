/**
 * The dataset viewer client and `openHubDataset` against a real local HTTP server that answers as
 * the viewer documents: paging, expired image URLs, rate limits, error bodies, malformed rows,
 * timeouts and cancellation.
 */
import { decode } from 'fast-png';
import { afterEach, describe, expect, it } from 'vitest';
import { AbortedError } from '../../src/engine/errors.ts';
import { DATASETS, type HubDatasetEntry } from '../../src/eval/datasets.ts';
import { openHubDataset, type OpenHubDatasetOptions } from '../../src/eval/hub-dataset.ts';
import { HubError, HubRowsClient, type HubWait } from '../../src/eval/hub-rows.ts';
import { sampleIndices } from '../../src/eval/sample.ts';
import {
  greyOf,
  loadRowsPage,
  serveRows,
  splitFromPage,
  type FixtureSplit,
  type RowsFixtureServer,
} from './rows-fixture-server.ts';

const CHARTQA: HubDatasetEntry = DATASETS.chartqa;
const DOCVQA: HubDatasetEntry = DATASETS.docvqa;
const CHARTQA_PAGE = loadRowsPage('chartqa-test-0-3');

let server: RowsFixtureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(split: FixtureSplit): Promise<RowsFixtureServer> {
  server = await serveRows(split);
  return server;
}

function chartqaSplit(size: number): FixtureSplit {
  return splitFromPage(CHARTQA_PAGE, CHARTQA, 'image', size);
}

function open(entry: HubDatasetEntry, at: RowsFixtureServer, options: Partial<OpenHubDatasetOptions> = {}) {
  return openHubDataset(entry, { limit: 100, seed: 1, baseUrl: at.baseUrl, ...options });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error,
  );
}

describe('openHubDataset', () => {
  it('samples across pages, reading only the span of each page that holds sampled rows', async () => {
    const at = await serve(chartqaSplit(250));
    const expected = sampleIndices(250, 10, 7);
    const pages = [...new Set(expected.map((index) => Math.floor(index / 100)))];
    expect(pages.length).toBeGreaterThan(1);

    const { info, items, skipped } = await open(CHARTQA, at, { limit: 10, seed: 7 });

    expect(info).toEqual({
      id: 'chartqa',
      label: 'ChartQA (charts)',
      metric: 'relaxed-accuracy',
      size: 250,
      source: 'lmms-lab/ChartQA (config default, split test)',
    });
    expect(skipped).toEqual([]);
    expect(items.map((item) => item.id)).toEqual(expected.map(String));
    const spans = pages.map((page) => {
      const inPage = expected.filter((index) => Math.floor(index / 100) === page);
      const first = inPage[0] ?? 0;
      return { offset: first, length: (inPage.at(-1) ?? first) - first + 1 };
    });
    expect(at.rowsRequests()).toEqual([{ offset: 0, length: 1 }, ...spans]);
    for (const item of items) {
      const template = CHARTQA_PAGE.rows[Number(item.id) % 3]?.row;
      expect(item.question).toBe(template?.question);
      expect(item.answers).toEqual([template?.answer]);
      expect(item.category).toBe(template?.type);
    }
  });

  it('downloads an item’s image as the bytes its row points to', async () => {
    const at = await serve(chartqaSplit(5));
    const { items } = await open(CHARTQA, at);
    const item = items[3];
    const png = decode((await item?.image()) ?? new Uint8Array());
    expect([png.width, png.height, png.data[0]]).toEqual([2, 2, greyOf(3)]);
  });

  it('asks for the row again when its image URL has expired, and keeps the fresh URL', async () => {
    const at = await serve(chartqaSplit(5));
    const { items } = await open(CHARTQA, at);
    at.expireImages();
    const before = at.requests.length;

    const png = decode((await items[2]?.image()) ?? new Uint8Array());
    expect(png.data[0]).toBe(greyOf(2));
    const trail = at.requests.slice(before).map((path) => path.replace(/\?.*Signature=(\w+).*$/, ' $1'));
    expect(trail).toEqual([
      '/cached-assets/lmms-lab/ChartQA/--/0123abcd/--/default/test/2/image/image.png g0',
      '/rows?dataset=lmms-lab%2FChartQA&config=default&split=test&offset=2&length=1',
      '/cached-assets/lmms-lab/ChartQA/--/0123abcd/--/default/test/2/image/image.png g1',
    ]);

    await items[2]?.image();
    expect(at.requests.length - before).toBe(4);
  });

  it('fails with the status and the row when the fresh URL is refused too', async () => {
    const at = await serve(chartqaSplit(5));
    const { items } = await open(CHARTQA, at);
    at.imageStatus = 403;
    const error = await rejection(items[1]?.image() ?? Promise.resolve());
    expect(error).toBeInstanceOf(HubError);
    expect((error as HubError).message).toBe(
      'The image of row 1 of lmms-lab/ChartQA (config default, split test) could not be downloaded (HTTP 403 Forbidden).',
    );
    expect(at.requests.filter((path) => path.startsWith('/cached-assets/'))).toHaveLength(2);
  });

  it('waits as Retry-After asks (capped) when the viewer answers 429, then goes on', async () => {
    const at = await serve(chartqaSplit(5));
    at.queueRows({ status: 429, headers: { 'Retry-After': '1' }, body: { error: 'Too Many Requests' } });
    const waits: HubWait[] = [];
    const { items } = await open(CHARTQA, at, { maxRetryWaitMs: 20, onWait: (wait) => waits.push(wait) });
    expect(items).toHaveLength(5);
    expect(waits).toEqual([{ status: 429, retryAfterSeconds: 1, waitMs: 20, attempt: 1 }]);
    expect(at.rowsRequests()).toEqual([
      { offset: 0, length: 1 },
      { offset: 0, length: 1 },
      { offset: 0, length: 5 },
    ]);
  });

  it('reads a Retry-After date, and gives up after three busy answers', async () => {
    const at = await serve(chartqaSplit(5));
    const busy = {
      status: 503,
      headers: { 'Retry-After': new Date(Date.now() + 5000).toUTCString() },
      body: { error: 'The server is busy.' },
    };
    at.queueRows(busy, busy, busy);
    const waits: HubWait[] = [];
    const error = await rejection(open(CHARTQA, at, { maxRetryWaitMs: 10, onWait: (wait) => waits.push(wait) }));
    expect(waits.map((wait) => wait.attempt)).toEqual([1, 2]);
    expect(waits[0]?.retryAfterSeconds).toBeGreaterThanOrEqual(4);
    expect(waits[0]?.retryAfterSeconds).toBeLessThanOrEqual(5);
    expect(error).toMatchObject({ code: 'hub-busy', status: 503 });
    expect((error as Error).message).toBe(
      'The dataset viewer could not give row 0 of lmms-lab/ChartQA (config default, split test): the viewer was still busy after 3 tries (HTTP 503 Service Unavailable: The server is busy.). Try again in a few minutes.',
    );
  });

  it('quotes the viewer’s error body and names the dataset', async () => {
    const at = await serve(chartqaSplit(5));
    const error = await rejection(open({ ...CHARTQA, dataset: 'lmms-lab/ChartQAA' }, at));
    expect(error).toMatchObject({ code: 'hub-http', status: 404 });
    expect((error as Error).message).toBe(
      'The dataset viewer could not give row 0 of lmms-lab/ChartQAA (config default, split test) (HTTP 404 Not Found: The dataset does not exist, or is not accessible without authentication (private or gated). Please check the spelling of the dataset name or retry with authentication.).',
    );
  });

  it('names the columns a split has when the entry names one it lacks', async () => {
    const at = await serve(chartqaSplit(5));
    const entry: HubDatasetEntry = { ...CHARTQA, columns: { ...CHARTQA.columns, answers: 'answers' } };
    const error = await rejection(open(entry, at));
    expect(error).toMatchObject({ code: 'hub-response' });
    expect((error as Error).message).toBe(
      'lmms-lab/ChartQA (config default, split test) has no column "answers"; its columns are type, question, answer, image. The "chartqa" entry in src/eval/datasets.ts needs the right column names.',
    );
  });

  it('skips malformed rows with the reason, and keeps the rest', async () => {
    const split = chartqaSplit(8);
    split.rows[1] = { ...split.rows[1], question: null };
    const withoutAnswer = { ...split.rows[4] };
    delete withoutAnswer.answer;
    split.rows[4] = withoutAnswer;
    split.rows[6] = { ...split.rows[6], image: 'chart.png' };
    split.rows[7] = { ...split.rows[7], type: 42 };
    const at = await serve(split);

    const { items, skipped } = await open(CHARTQA, at);

    expect(skipped).toEqual([
      {
        itemId: '1',
        reason:
          'Row 1 of lmms-lab/ChartQA (config default, split test) has no question: its "question" cell is empty (null).',
      },
      {
        itemId: '4',
        reason:
          'Row 4 of lmms-lab/ChartQA (config default, split test) has no reference answer: its "answer" cell is missing.',
      },
      {
        itemId: '6',
        reason:
          'Row 6 of lmms-lab/ChartQA (config default, split test) has no image: its "image" cell is text, not an image.',
      },
    ]);
    expect(items.map((item) => item.id)).toEqual(['0', '2', '3', '5', '7']);
    // A category of the wrong type only loses the label.
    expect(items.at(-1)?.category).toBeUndefined();
  });

  it('keeps a list of answers as it is and quotes the dataset’s own id of a skipped row', async () => {
    const page = loadRowsPage('docvqa-validation-0-2');
    const split = splitFromPage(page, DOCVQA, 'image', 4);
    split.rows[3] = { ...split.rows[3], answers: ['0.28', 7] };
    const at = await serve(split);

    const { items, skipped } = await open(DOCVQA, at);

    expect(items.map((item) => [item.id, item.answers])).toEqual([
      ['0', ['0.28']],
      ['1', ['university of california', 'University of California', 'university of california, san diego']],
      ['2', ['0.28']],
    ]);
    expect(skipped).toEqual([
      {
        itemId: '3',
        reason:
          'Row 3 of lmms-lab/DocVQA (config DocVQA, split validation) (questionId 24580) has no reference answer: its "answers" cell is a list with something other than text in it.',
      },
    ]);
  });

  it('appends the entry’s instruction to each question', async () => {
    const at = await serve(chartqaSplit(1));
    const { items } = await open({ ...CHARTQA, instruction: 'Answer with a number.' }, at);
    expect(items[0]?.question).toBe('How many food items are shown in the bar graph?\nAnswer with a number.');
  });
});

describe('HubRowsClient failures', () => {
  it('stops at once when the caller aborts while the viewer is silent', async () => {
    const at = await serve(chartqaSplit(5));
    at.holdRows = true;
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => {
      controller.abort();
    }, 50);
    const error = await rejection(open(CHARTQA, at, { signal: controller.signal }));
    expect(error).toBeInstanceOf(AbortedError);
    expect((error as Error).message).toBe('Loading the dataset was stopped.');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('stops at once when the caller aborts during a Retry-After wait', async () => {
    const at = await serve(chartqaSplit(5));
    at.queueRows({ status: 429, headers: { 'Retry-After': '30' }, body: { error: 'Too Many Requests' } });
    const controller = new AbortController();
    const started = Date.now();
    const error = await rejection(
      open(CHARTQA, at, {
        signal: controller.signal,
        onWait: () => {
          setTimeout(() => {
            controller.abort();
          }, 20);
        },
      }),
    );
    expect(error).toBeInstanceOf(AbortedError);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('gives up on a request the viewer does not answer in time', async () => {
    const at = await serve(chartqaSplit(5));
    at.holdRows = true;
    const error = await rejection(new HubRowsClient(CHARTQA, { baseUrl: at.baseUrl, timeoutMs: 100 }).rows(0, 10));
    expect(error).toMatchObject({ code: 'hub-timeout' });
    expect((error as Error).message).toBe(
      'The dataset viewer could not give rows 0–9 of lmms-lab/ChartQA (config default, split test): no answer within 100 ms. The hub may be slow right now; try again later.',
    );
  });

  it('says when nothing answers at the address', async () => {
    const at = await serve(chartqaSplit(1));
    const { baseUrl } = at;
    await at.close();
    server = undefined;
    const error = await rejection(new HubRowsClient(CHARTQA, { baseUrl }).rows(0, 1));
    expect(error).toMatchObject({ code: 'hub-unreachable' });
    expect((error as Error).message).toMatch(
      /nothing answered at 127\.0\.0\.1:\d+ \(ECONNREFUSED\)\. Check the network/,
    );
  });

  it('refuses a page longer than the viewer gives', async () => {
    await expect(new HubRowsClient(CHARTQA).rows(0, 101)).rejects.toThrow(
      'The viewer gives 1 to 100 rows at a time, not 101.',
    );
  });
});
