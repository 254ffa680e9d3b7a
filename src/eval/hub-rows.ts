/**
 * A client of the Hugging Face dataset viewer (`/rows`, https://huggingface.co/docs/dataset-viewer/rows)
 * and of the image files its rows point to. Only `fetch`, so it runs in Node and in a worker alike.
 *
 * The viewer rate-limits (429, or 503 while it warms a dataset up), so those replies are waited out
 * as `Retry-After` asks, a few times and never for long; every other failure becomes a `HubError`
 * that names the dataset, since the person reading it chose the dataset, not the URL.
 */
import { AbortedError } from '../engine/errors.ts';
import { isRecord } from '../engine/is-record.ts';
import { parseErrorBody } from '../engine/server/error-body.ts';
import { parseRetryAfter } from '../engine/server/server-errors.ts';
import { HubError, imageSrc, MAX_ROWS_PER_REQUEST, readPage, type RowsPage } from './hub-page.ts';

export { HubError, imageSrc, MAX_ROWS_PER_REQUEST, type HubErrorCode, type RowsPage } from './hub-page.ts';

/** The public dataset viewer. */
export const HUB_VIEWER_URL = 'https://datasets-server.huggingface.co';

/** One split of a hub dataset. */
export interface HubSplit {
  /** `owner/name` on the hub, e.g. `lmms-lab/ChartQA`. */
  dataset: string;
  /** The subset; `default` when the dataset has only one. */
  config: string;
  split: string;
}

/** A pause the client takes because the viewer asked it to. */
export interface HubWait {
  status: number;
  /** What `Retry-After` asked for; null when the reply had none. */
  retryAfterSeconds: number | null;
  /** How long the client waits (the ask, capped by `maxRetryWaitMs`). */
  waitMs: number;
  /** The try that was refused (1 for the first). */
  attempt: number;
}

export interface HubClientOptions {
  /** The viewer's address; defaults to `HUB_VIEWER_URL` (tests point it at a local server). */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Per request, body included. Default 30 s. */
  timeoutMs?: number;
  /** Tries of a request the viewer answers 429 or 503. Default 3. */
  maxAttempts?: number;
  /** The longest single wait for `Retry-After`. Default 60 s. */
  maxRetryWaitMs?: number;
  /** Told before each wait, so a caller can say why nothing is happening. */
  onWait?: (wait: HubWait) => void;
}

/** `lmms-lab/DocVQA (config DocVQA, split validation)`: how messages and reports name a split. */
export function describeSplit(split: HubSplit): string {
  return `${split.dataset} (config ${split.config}, split ${split.split})`;
}

const STOPPED = 'Loading the dataset was stopped.';
/** Statuses of a signed image URL that has expired or whose cached file was dropped. */
const EXPIRED = new Set([403, 404, 410]);

/** Reads one split's rows and their images. */
export class HubRowsClient {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly maxRetryWaitMs: number;
  private readonly onWait: ((wait: HubWait) => void) | undefined;

  constructor(
    readonly split: HubSplit,
    options: HubClientOptions = {},
  ) {
    this.baseUrl = (options.baseUrl ?? HUB_VIEWER_URL).replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 3);
    this.maxRetryWaitMs = options.maxRetryWaitMs ?? 60_000;
    this.onWait = options.onWait;
  }

  /** Rows `offset` to `offset + length - 1` (at most 100), with the split's size. */
  async rows(offset: number, length: number, signal?: AbortSignal): Promise<RowsPage> {
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`Row offset ${offset} is not a row index.`);
    if (!Number.isSafeInteger(length) || length < 1 || length > MAX_ROWS_PER_REQUEST) {
      throw new RangeError(`The viewer gives 1 to ${MAX_ROWS_PER_REQUEST} rows at a time, not ${length}.`);
    }
    const query = new URLSearchParams({
      dataset: this.split.dataset,
      config: this.split.config,
      split: this.split.split,
      offset: String(offset),
      length: String(length),
    });
    const what = length === 1 ? `row ${offset}` : `rows ${offset}–${offset + length - 1}`;
    const subject = `The dataset viewer could not give ${what} of ${describeSplit(this.split)}`;
    return this.get(`${this.baseUrl}/rows?${query.toString()}`, subject, signal, async (response) =>
      readPage(await response.text(), subject),
    );
  }

  /**
   * The bytes of row `row`'s image. `src` is the signed URL its page gave; those expire, so when
   * it is refused (403, 404, 410) or cannot be reached, the row is asked for again and its new URL
   * tried once. Returns the URL that worked, for the next call.
   */
  async readImage(
    row: number,
    column: string,
    src: string,
    signal?: AbortSignal,
  ): Promise<{ bytes: Uint8Array; src: string }> {
    try {
      return { bytes: await this.imageBytes(row, src, signal), src };
    } catch (error) {
      const expired =
        error instanceof HubError &&
        ((error.code === 'hub-http' && error.status !== undefined && EXPIRED.has(error.status)) ||
          error.code === 'hub-unreachable');
      if (!expired) throw error;
    }
    const fresh = imageSrc((await this.rows(row, 1, signal)).rows.find((entry) => entry.row_idx === row)?.row[column]);
    if (fresh === null) {
      throw new HubError(
        'hub-response',
        `The image of row ${row} of ${describeSplit(this.split)} expired, and the row asked for again has no image in its "${column}" cell.`,
      );
    }
    return { bytes: await this.imageBytes(row, fresh, signal), src: fresh };
  }

  private async imageBytes(row: number, src: string, signal: AbortSignal | undefined): Promise<Uint8Array> {
    const subject = `The image of row ${row} of ${describeSplit(this.split)} could not be downloaded`;
    // Resolved against the viewer's address, so a relative `src` (a proxy, a test) works too.
    const url = new URL(src, `${this.baseUrl}/`).href;
    return this.get(url, subject, signal, async (response) => new Uint8Array(await response.arrayBuffer()));
  }

  /** GET `url` and `read` the reply, waiting out 429 and 503 as the viewer asks. */
  private async get<T>(
    url: string,
    subject: string,
    signal: AbortSignal | undefined,
    read: (response: Response) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw new AbortedError(STOPPED);
      const timeout = AbortSignal.timeout(this.timeoutMs);
      const both = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
      let wait: HubWait;
      try {
        const response = await this.fetchImpl(url, { signal: both });
        if (response.ok) return await read(response);
        const body = await response.text();
        const retryAfter = parseRetryAfter(response.headers.get('Retry-After'), Date.now()) ?? null;
        if (!isBusy(response.status) || attempt >= this.maxAttempts) {
          throw httpError(subject, response, body, attempt);
        }
        // Without a Retry-After, back off 1 s, then 2 s: the viewer gave no better guess.
        const askedMs = (retryAfter ?? 2 ** (attempt - 1)) * 1000;
        wait = {
          status: response.status,
          retryAfterSeconds: retryAfter,
          waitMs: Math.min(askedMs, this.maxRetryWaitMs),
          attempt,
        };
      } catch (error) {
        if (error instanceof HubError || error instanceof AbortedError) throw error;
        throw this.transportError(error, subject, signal, timeout);
      }
      this.onWait?.(wait);
      await sleep(wait.waitMs, signal);
    }
  }

  private transportError(error: unknown, subject: string, signal: AbortSignal | undefined, timeout: AbortSignal) {
    if (signal?.aborted) return new AbortedError(STOPPED);
    if (timeout.aborted) {
      return new HubError(
        'hub-timeout',
        `${subject}: no answer within ${duration(this.timeoutMs)}. The hub may be slow right now; try again later.`,
        undefined,
        { cause: error },
      );
    }
    const reason = causeOf(error);
    return new HubError(
      'hub-unreachable',
      `${subject}: nothing answered at ${new URL(this.baseUrl).host}${reason === null ? '' : ` (${reason})`}. Check the network connection.`,
      undefined,
      { cause: error },
    );
  }
}

function duration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}

function isBusy(status: number): boolean {
  return status === 429 || status === 503;
}

function httpError(subject: string, response: Response, body: string, attempt: number): HubError {
  const said = parseErrorBody(body).message;
  const http = `HTTP ${response.status}${response.statusText === '' ? '' : ` ${response.statusText}`}`;
  const words = said === null ? '' : `: ${said}`;
  if (isBusy(response.status)) {
    return new HubError(
      'hub-busy',
      `${subject}: the viewer was still busy after ${attempt} tries (${http}${words}). Try again in a few minutes.`,
      response.status,
    );
  }
  return new HubError('hub-http', `${subject} (${http}${words}).`, response.status);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new AbortedError(STOPPED));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortedError(STOPPED));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Node's `fetch failed` hides the reason (ECONNREFUSED, ENOTFOUND, …) in its cause. */
function causeOf(error: unknown): string | null {
  for (let next: unknown = error, depth = 0; isRecord(next) && depth < 4; next = next.cause, depth++) {
    if (typeof next.code === 'string') return next.code;
  }
  return error instanceof Error && error.message !== 'fetch failed' && error.message !== 'Failed to fetch'
    ? error.message
    : null;
}
