/**
 * Gives the event loop a turn, so that tasks already queued run before the engine goes on.
 *
 * ONNX Runtime's WASM backend computes a session run on the calling thread and settles its
 * promise without ever returning to the event loop, and transformers.js chains the runs of a
 * whole generation with promises. Without a turn in between, a worker's incoming messages (Stop
 * among them) wait until the generation is over. The engine awaits this before every session run
 * and before every round, so a cancel message is delivered within one step.
 */

type Resolve = () => void;

/** A message to ourselves: a task without the 4 ms clamp that nested timers get. */
function messageChannelYield(): () => Promise<void> {
  const channel = new MessageChannel();
  const waiting: Resolve[] = [];
  channel.port1.onmessage = () => {
    waiting.shift()?.();
  };
  return () =>
    new Promise<void>((resolve) => {
      waiting.push(resolve);
      channel.port2.postMessage(null);
    });
}

function chooseYield(): () => Promise<void> {
  // Node: `setImmediate` runs after pending I/O and timers, and keeps no handle open.
  if (typeof setImmediate === 'function') return () => new Promise<void>((resolve) => setImmediate(resolve));
  if (typeof MessageChannel === 'function') return messageChannelYield();
  return () => new Promise<void>((resolve) => setTimeout(resolve, 0));
}

let yielder: (() => Promise<void>) | null = null;

/** Resolves after the tasks queued before the call (such as a received message) have run. */
export function yieldToEventLoop(): Promise<void> {
  yielder ??= chooseYield();
  return yielder();
}
