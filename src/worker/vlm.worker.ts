/// <reference lib="webworker" />
/** The model worker: every message is a request for the handler; replies go back by postMessage. */
import type { EngineRequest, WorkerMessage } from '../protocol/messages.ts';
import { browserPlatform } from './browser-platform.ts';
import { createRequestHandler } from './handler.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const handle = createRequestHandler(
  browserPlatform((message: WorkerMessage) => {
    scope.postMessage(message);
  }),
);
scope.addEventListener('message', (event: MessageEvent<EngineRequest>) => {
  void handle(event.data);
});
