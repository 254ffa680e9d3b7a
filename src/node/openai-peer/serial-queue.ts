/**
 * One request on the model at a time, in arrival order, like a server with one GPU and a batch of
 * one. A request whose client has gone away while waiting is dropped without running.
 */
import { AbortedError } from '../../engine/errors.ts';

export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  /** Runs `work` after every request queued before it; rejects with `AbortedError` if `signal` ends the wait. */
  run<T>(work: () => Promise<T>, signal: AbortSignal): Promise<T> {
    const turn = this.#tail.then(() => {
      if (signal.aborted) throw new AbortedError();
      return work();
    });
    // The next request waits for this one to settle, whether it succeeds or not.
    this.#tail = turn.catch(() => undefined);
    return turn;
  }

  /** Settles once every request queued so far has. */
  async idle(): Promise<void> {
    await this.#tail;
  }
}
