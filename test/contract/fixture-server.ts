/**
 * A real HTTP server on an ephemeral port that answers with a recorded response: the status line,
 * headers and body bytes of a `.http` file in fixtures/. An event-stream body goes out one event
 * per write, as the servers stream it; a test can cut the connection or hold it open after a given
 * number of events.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** A recorded response. */
export interface Fixture {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: Buffer;
}

/**
 * Reads `fixtures/<name>.http`: `#` comment lines (the source it follows), the status line, header
 * lines, a blank line, then the body exactly as the server sends it.
 */
export function loadFixture(name: string): Fixture {
  const bytes = readFileSync(`${FIXTURES}${name}.http`);
  const split = bytes.indexOf('\n\n');
  if (split < 0) throw new Error(`${name}.http has no blank line after its headers`);
  const head = bytes
    .subarray(0, split)
    .toString('utf8')
    .split('\n')
    .filter((line) => !line.startsWith('#'));
  const [statusLine = '', ...headerLines] = head;
  const status = /^HTTP\/1\.1 (\d{3}) (.*)$/.exec(statusLine);
  if (!status?.[1]) throw new Error(`${name}.http: bad status line "${statusLine}"`);
  const headers = headerLines.map((line): [string, string] => {
    const colon = line.indexOf(':');
    return [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
  });
  return { status: Number(status[1]), statusText: status[2] ?? '', headers, body: bytes.subarray(split + 2) };
}

/** What the server received. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface ServeOptions {
  /** Destroy the socket after this many events, mid-answer. */
  cutAfterEvents?: number;
  /** Stop writing after this many events and keep the connection open. */
  holdAfterEvents?: number;
  /** Write each event in pieces of this many bytes, so the client sees events split across reads. */
  pieceBytes?: number;
}

export interface FixtureServer {
  /** `http://127.0.0.1:<port>/v1` */
  baseUrl: string;
  requests: ReceivedRequest[];
  /** Resolves when the server sees a response's connection close before the body ended. */
  clientGone: Promise<void>;
  close(): Promise<void>;
}

/** Connection-level headers are Node's to write. */
const HOP_BY_HOP = new Set(['transfer-encoding', 'content-length', 'connection', 'keep-alive']);

/** Serves `fixture` (a name under fixtures/, or a Fixture) to every request. */
export async function serveFixture(fixture: string | Fixture, options: ServeOptions = {}): Promise<FixtureServer> {
  const response = typeof fixture === 'string' ? loadFixture(fixture) : fixture;
  const requests: ReceivedRequest[] = [];
  let markClientGone: () => void = () => undefined;
  const clientGone = new Promise<void>((resolve) => {
    markClientGone = resolve;
  });

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      void respond(res, response, options, markClientGone);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    clientGone,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

async function respond(res: ServerResponse, fixture: Fixture, options: ServeOptions, clientGone: () => void) {
  res.on('close', () => {
    if (!res.writableFinished) clientGone();
  });
  res.writeHead(
    fixture.status,
    fixture.statusText,
    fixture.headers.filter(([name]) => !HOP_BY_HOP.has(name.toLowerCase())),
  );
  const isStream = fixture.headers.some(
    ([name, value]) => name.toLowerCase() === 'content-type' && value.startsWith('text/event-stream'),
  );
  if (!isStream) {
    res.end(fixture.body);
    return;
  }
  const events = splitEvents(fixture.body);
  for (const [index, event] of events.entries()) {
    if (index === options.cutAfterEvents) {
      res.socket?.destroy();
      return;
    }
    if (index === options.holdAfterEvents) return;
    for (const piece of pieces(event, options.pieceBytes)) {
      if (res.destroyed) return;
      res.write(piece);
      // A macrotask between writes, so each goes out on its own.
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }
  res.end();
}

/** The body cut after each blank line (`\n\n`), separators kept. */
function splitEvents(body: Buffer): Buffer[] {
  const events: Buffer[] = [];
  let start = 0;
  for (let end = body.indexOf('\n\n'); end >= 0; end = body.indexOf('\n\n', start)) {
    events.push(body.subarray(start, end + 2));
    start = end + 2;
  }
  if (start < body.length) events.push(body.subarray(start));
  return events;
}

function pieces(event: Buffer, size: number | undefined): Buffer[] {
  if (size === undefined) return [event];
  const out: Buffer[] = [];
  for (let start = 0; start < event.length; start += size) out.push(event.subarray(start, start + size));
  return out;
}
