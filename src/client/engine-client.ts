/**
 * The main-thread side of the model worker: creates the worker once, numbers requests, and
 * delivers only the messages of current requests (the latest load, image and run), so events
 * of a cancelled or superseded request never reach the UI.
 */
import type { ModelChoice, EngineRequest, ErrorInfo, WorkerMessage } from '../protocol/messages.ts';

/** A request answered with `failed`: `info` is the worker's error, its message written for a person. */
export class EngineRequestError extends Error {
  override readonly name = 'EngineRequestError';
  constructor(readonly info: ErrorInfo) {
    super(info.message);
  }
}

export interface RunParams {
  imageId: number;
  question: string;
  policy: string;
  threshold: number;
  maxVisualTokens: number;
  /** Continue the worker's conversation instead of starting a new one. */
  followUp: boolean;
  /** Answered questions of the conversation the page shows (see the `run` request). */
  turns: number;
}

/** An evaluation as the page asks for it (see the `evaluate` request). */
export type EvaluateParams = Omit<Extract<EngineRequest, { type: 'evaluate' }>, 'type' | 'requestId'>;

/** What the store needs from the engine; tests provide their own. */
export interface EngineClient {
  /** Asks where models will run (WebGPU rung or WASM); returns the request id of the `device` reply. */
  probe(): number;
  /** Loads a model; returns the request id its messages carry. */
  load(model: ModelChoice): number;
  /** Decodes an image in the worker; returns the request id. */
  openImage(image: Blob): number;
  /** Starts a run; returns the request id its events carry. */
  run(params: RunParams): number;
  /** Stops the current run, if any. */
  cancel(): void;
  /** Frees the worker's conversation (its KV cache); the next run starts a new one anyway. */
  endConversation(): void;
  /** Cancels the current model load, if any. */
  cancelLoad(): void;
  /** Starts an evaluation (stopping one still running); returns the request id its messages carry. */
  evaluate(params: EvaluateParams): number;
  /** Stops the current evaluation, if any (it ends with `failed`, code `aborted`). */
  cancelEvaluation(): void;
  /**
   * The models an OpenAI-compatible server lists (`GET /models`); rejects with an
   * `EngineRequestError` (a `server-*` code) when the server cannot be asked. Each call is answered
   * on its own: a later call does not cancel an earlier one.
   */
  listServerModels(baseUrl: string, apiKey?: string): Promise<string[]>;
  /** Receives every message of a current request. Returns an unsubscribe function. */
  subscribe(listener: (message: WorkerMessage) => void): () => void;
}

type RequestKind = 'probe' | 'load' | 'open-image' | 'run' | 'evaluate';

/** Posts to a real (or test) worker. */
export class WorkerEngineClient implements EngineClient {
  private nextId = 1;
  private readonly current: Record<RequestKind, number | null> = {
    probe: null,
    load: null,
    'open-image': null,
    run: null,
    evaluate: null,
  };
  private readonly kindOf = new Map<number, RequestKind>();
  private readonly listeners = new Set<(message: WorkerMessage) => void>();
  /** Requests answered through a promise rather than the listeners, by request id. */
  private readonly replies = new Map<
    number,
    { resolve: (models: string[]) => void; reject: (error: EngineRequestError) => void }
  >();

  constructor(private readonly worker: Pick<Worker, 'postMessage' | 'addEventListener'>) {
    worker.addEventListener('message', (event: MessageEvent<WorkerMessage>) => {
      this.deliver(event.data);
    });
    worker.addEventListener('error', (event: ErrorEvent) => {
      // A worker that fails to start (e.g. a script that cannot load) fails every open request.
      for (const requestId of Object.values(this.current)) {
        if (requestId === null) continue;
        this.deliver({
          type: 'failed',
          requestId,
          error: { code: 'internal', message: `The model worker stopped: ${event.message || 'unknown error'}` },
        });
      }
      for (const requestId of [...this.replies.keys()]) {
        this.deliver({
          type: 'failed',
          requestId,
          error: { code: 'internal', message: `The model worker stopped: ${event.message || 'unknown error'}` },
        });
      }
    });
  }

  probe(): number {
    return this.send('probe', (requestId) => ({ type: 'probe', requestId }));
  }

  load(model: ModelChoice): number {
    // A load still downloading would hold up the new one (loads run one at a time): cancel it.
    this.cancelLoad();
    return this.send('load', (requestId) => ({ type: 'load', requestId, model }));
  }

  openImage(image: Blob): number {
    return this.send('open-image', (requestId) => ({ type: 'open-image', requestId, image }));
  }

  run(params: RunParams): number {
    this.cancel();
    return this.send('run', (requestId) => ({ type: 'run', requestId, ...params }));
  }

  cancel(): void {
    const requestId = this.current.run;
    if (requestId === null) return;
    this.worker.postMessage({ type: 'cancel', requestId } satisfies EngineRequest);
  }

  evaluate(params: EvaluateParams): number {
    this.cancelEvaluation();
    return this.send('evaluate', (requestId) => ({ type: 'evaluate', requestId, ...params }));
  }

  cancelEvaluation(): void {
    const requestId = this.current.evaluate;
    if (requestId === null) return;
    this.worker.postMessage({ type: 'cancel', requestId } satisfies EngineRequest);
  }

  endConversation(): void {
    this.worker.postMessage({ type: 'end-conversation', requestId: this.nextId++ } satisfies EngineRequest);
  }

  cancelLoad(): void {
    const requestId = this.current.load;
    if (requestId === null) return;
    this.worker.postMessage({ type: 'cancel-load', requestId } satisfies EngineRequest);
  }

  listServerModels(baseUrl: string, apiKey?: string): Promise<string[]> {
    const requestId = this.nextId++;
    return new Promise((resolve, reject) => {
      this.replies.set(requestId, { resolve, reject });
      this.worker.postMessage({
        type: 'list-server-models',
        requestId,
        baseUrl,
        ...(apiKey === undefined ? {} : { apiKey }),
      } satisfies EngineRequest);
    });
  }

  subscribe(listener: (message: WorkerMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private send(kind: RequestKind, build: (requestId: number) => EngineRequest): number {
    const requestId = this.nextId++;
    this.current[kind] = requestId;
    this.kindOf.set(requestId, kind);
    this.worker.postMessage(build(requestId));
    return requestId;
  }

  private deliver(message: WorkerMessage): void {
    const reply = this.replies.get(message.requestId);
    if (reply) {
      if (message.type === 'server-models') reply.resolve(message.models);
      else if (message.type === 'failed') reply.reject(new EngineRequestError(message.error));
      else return;
      this.replies.delete(message.requestId);
      return;
    }
    const kind = this.kindOf.get(message.requestId);
    if (kind === undefined || this.current[kind] !== message.requestId) return;
    for (const listener of this.listeners) listener(message);
  }
}

/** The app's worker, created on first use. */
let shared: WorkerEngineClient | null = null;
export function engineClient(): WorkerEngineClient {
  shared ??= new WorkerEngineClient(
    new Worker(new URL('../worker/vlm.worker.ts', import.meta.url), { type: 'module', name: 'vlm' }),
  );
  return shared;
}
