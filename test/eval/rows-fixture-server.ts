/**
 * A real HTTP server on an ephemeral port that plays the Hugging Face dataset viewer for one split:
 * `/rows` pages in the documented format, and the `cached-assets` image files their cells point to,
 * behind signed URLs the test can expire. A test can also script the next `/rows` replies (429,
 * an error body) or have `/rows` never answer.
 */
import { readFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { encode } from 'fast-png';
import type { HubSplit } from '../../src/eval/hub-rows.ts';

const FIXTURES = fileURLToPath(new URL('./fixtures/hub-rows/', import.meta.url));

/** A `/rows` answer as a fixture file holds it. */
export interface RowsPageFixture {
  features: unknown[];
  rows: { row_idx: number; row: Record<string, unknown>; truncated_cells: unknown[] }[];
  num_rows_total: number;
}

/** Reads `fixtures/hub-rows/<name>.json`. */
export function loadRowsPage(name: string): RowsPageFixture {
  return JSON.parse(readFileSync(`${FIXTURES}${name}.json`, 'utf8')) as RowsPageFixture;
}

/** The split the server plays: `rows[i]` holds row i's cells; a test may change them at any time. */
export interface FixtureSplit extends HubSplit {
  features: unknown[];
  /** The image column, whose cells the server fills with its own signed URLs. */
  imageColumn: string;
  rows: Record<string, unknown>[];
}

/** A split of `size` rows: the page's rows over and over, each a separate copy. */
export function splitFromPage(page: RowsPageFixture, split: HubSplit, imageColumn: string, size: number): FixtureSplit {
  const rows = Array.from({ length: size }, (_, index) => {
    const template = page.rows[index % page.rows.length];
    if (template === undefined) throw new Error('The fixture page has no rows.');
    return structuredClone(template.row);
  });
  return { ...split, features: page.features, imageColumn, rows };
}

/** A scripted reply to the next `/rows` request. */
export interface ScriptedReply {
  status: number;
  headers?: Record<string, string>;
  /** An object goes out as JSON. */
  body: string | object;
}

export interface RowsFixtureServer {
  /** `http://127.0.0.1:<port>`, the viewer's base URL. */
  baseUrl: string;
  /** Paths and queries of every request, in order. */
  requests: string[];
  /** `offset` and `length` of every `/rows` request, in order. */
  rowsRequests(): { offset: number; length: number }[];
  /** Answer the next `/rows` requests with these, in order, before answering normally again. */
  queueRows(...replies: ScriptedReply[]): void;
  /** Leave every `/rows` request unanswered (the connection stays open). */
  holdRows: boolean;
  /** Answer every image request with this status instead (e.g. 403 for a URL that stays refused). */
  imageStatus: number | null;
  /** Make every image URL given so far stop working (403), as when signed URLs expire. */
  expireImages(): void;
  close(): Promise<void>;
}

/** The grey level of row `index`'s 2×2 image, so a test can tell whose image it got. */
export function greyOf(index: number): number {
  return (index * 37) % 256;
}

/** Serves `split` as the dataset viewer would. */
export async function serveRows(split: FixtureSplit): Promise<RowsFixtureServer> {
  const requests: string[] = [];
  const queued: ScriptedReply[] = [];
  let generation = 0;
  let origin = '';

  const state = { holdRows: false, imageStatus: null as number | null };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    requests.push(`${url.pathname}${url.search}`);
    if (url.pathname === '/rows') {
      if (state.holdRows) return;
      const scripted = queued.shift();
      if (scripted !== undefined) {
        reply(res, scripted);
        return;
      }
      answerRows(res, url.searchParams);
      return;
    }
    const image = /^\/cached-assets\/.+\/(\d+)\/[^/]+\/image\.png$/.exec(url.pathname);
    if (image?.[1] !== undefined) {
      answerImage(res, Number(image[1]), url.searchParams.get('Signature'));
      return;
    }
    reply(res, { status: 404, body: { error: 'Not found.' } });
  });

  function answerRows(res: ServerResponse, query: URLSearchParams) {
    if (
      query.get('dataset') !== split.dataset ||
      query.get('config') !== split.config ||
      query.get('split') !== split.split
    ) {
      reply(res, {
        status: 404,
        body: {
          error:
            'The dataset does not exist, or is not accessible without authentication (private or gated). Please check the spelling of the dataset name or retry with authentication.',
        },
      });
      return;
    }
    const offset = Number(query.get('offset'));
    const length = Number(query.get('length'));
    if (!(length >= 1 && length <= 100)) {
      reply(res, { status: 422, body: { error: "Parameter 'length' must be between 1 and 100." } });
      return;
    }
    const rows = split.rows.slice(offset, offset + length).map((cells, at) => {
      const rowIdx = offset + at;
      const row = structuredClone(cells);
      if (row[split.imageColumn] !== null && typeof row[split.imageColumn] === 'object') {
        row[split.imageColumn] = { src: imageUrl(rowIdx), height: 2, width: 2 };
      }
      return { row_idx: rowIdx, row, truncated_cells: [] };
    });
    reply(res, {
      status: 200,
      body: {
        features: split.features,
        rows,
        num_rows_total: split.rows.length,
        num_rows_per_page: 100,
        partial: false,
      },
    });
  }

  function imageUrl(row: number): string {
    const path = `${split.dataset}/--/0123abcd/--/${split.config}/${split.split}/${row}/${split.imageColumn}/image.png`;
    return `${origin}/cached-assets/${path}?Expires=1767225600&Signature=g${generation}&Key-Pair-Id=K3EI6M078Z3AC3`;
  }

  function answerImage(res: ServerResponse, row: number, signature: string | null) {
    const refused = state.imageStatus ?? (signature === `g${generation}` ? null : 403);
    if (refused !== null) {
      // What CloudFront sends for a signed URL past its time.
      reply(res, {
        status: refused,
        headers: { 'Content-Type': 'text/xml' },
        body: '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access denied</Message></Error>',
      });
      return;
    }
    const grey = greyOf(row);
    const png = encode({ width: 2, height: 2, data: new Uint8Array(4).fill(grey), channels: 1, depth: 8 });
    res.writeHead(200, { 'Content-Type': 'image/png', 'Content-Length': png.length });
    res.end(png);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl: origin,
    requests,
    rowsRequests: () =>
      requests
        .filter((path) => path.startsWith('/rows?'))
        .map((path) => {
          const query = new URLSearchParams(path.slice('/rows?'.length));
          return { offset: Number(query.get('offset')), length: Number(query.get('length')) };
        }),
    queueRows: (...replies) => queued.push(...replies),
    get holdRows() {
      return state.holdRows;
    },
    set holdRows(value: boolean) {
      state.holdRows = value;
    },
    get imageStatus() {
      return state.imageStatus;
    },
    set imageStatus(value: number | null) {
      state.imageStatus = value;
    },
    expireImages: () => {
      generation++;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

function reply(res: ServerResponse, scripted: ScriptedReply) {
  const json = typeof scripted.body !== 'string';
  const body = json ? JSON.stringify(scripted.body) : scripted.body;
  res.writeHead(scripted.status, { ...(json ? { 'Content-Type': 'application/json' } : {}), ...scripted.headers });
  res.end(body);
}
