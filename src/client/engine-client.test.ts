import { describe, expect, it } from 'vitest';
import type { EngineRequest, WorkerMessage } from '../protocol/messages.ts';
import { EngineRequestError, WorkerEngineClient } from './engine-client.ts';

/** A worker that records what the page posts and lets the test answer. */
function fakeWorker() {
  const posted: EngineRequest[] = [];
  const handlers: Record<string, ((event: never) => void)[]> = {};
  const worker = {
    postMessage: (message: EngineRequest) => {
      posted.push(message);
    },
    addEventListener: (type: string, handler: (event: never) => void) => {
      (handlers[type] ??= []).push(handler);
    },
  };
  const reply = (data: WorkerMessage): void => {
    for (const handler of handlers.message ?? []) handler({ data } as never);
  };
  const crash = (message: string): void => {
    for (const handler of handlers.error ?? []) handler({ message } as never);
  };
  return { worker: worker as unknown as Worker, posted, reply, crash };
}

describe('listServerModels', () => {
  it('posts the request with the key only when given, and resolves with the reply of its own id', async () => {
    const { worker, posted, reply } = fakeWorker();
    const client = new WorkerEngineClient(worker);
    const seen: WorkerMessage[] = [];
    client.subscribe((message) => seen.push(message));
    const first = client.listServerModels('http://localhost:8000/v1');
    const second = client.listServerModels('http://gpu.test/v1', 'sk-secret');
    expect(posted).toEqual([
      { type: 'list-server-models', requestId: 1, baseUrl: 'http://localhost:8000/v1' },
      { type: 'list-server-models', requestId: 2, baseUrl: 'http://gpu.test/v1', apiKey: 'sk-secret' },
    ]);
    reply({ type: 'server-models', requestId: 2, models: ['b'] });
    reply({ type: 'server-models', requestId: 1, models: ['a', 'c'] });
    await expect(first).resolves.toEqual(['a', 'c']);
    await expect(second).resolves.toEqual(['b']);
    // Replies to a listing are the promise's, not the store's.
    expect(seen).toEqual([]);
  });

  it('rejects with the worker’s error, and when the worker stops', async () => {
    const { worker, reply, crash } = fakeWorker();
    const client = new WorkerEngineClient(worker);
    const refused = client.listServerModels('http://localhost:8000/v1');
    reply({
      type: 'failed',
      requestId: 1,
      error: { code: 'server-auth', message: 'The server refused the API key.' },
    });
    const error: unknown = await refused.catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(EngineRequestError);
    expect((error as EngineRequestError).info).toEqual({
      code: 'server-auth',
      message: 'The server refused the API key.',
    });
    const pending = client.listServerModels('http://localhost:8000/v1');
    crash('boom');
    await expect(pending).rejects.toThrow('The model worker stopped: boom');
  });
});
