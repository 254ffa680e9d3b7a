/**
 * Stop as a person clicks it: Ask, then Stop a given time later on the page's own clock (whatever
 * the test runner is doing, and never on an event of the run), and the uninterrupted run that sets
 * the time scale of those clicks.
 */
import { RUN_TIMEOUT, type App } from './app.ts';

/** Where a run was when Stop was clicked, and how it ended. */
export interface StopOutcome {
  /** Stop was still enabled when the moment came (the run had not ended by itself). */
  clicked: boolean;
  /** Where the run was at the click, as the trace says (`round-1:prefill`, `between-rounds`…). */
  phase: string;
  /** From the click until the page was idle. */
  clickToIdleMs: number;
  /** What the answer area ended as. */
  status: string;
}

/** `fresh`: start a new conversation first, so each question is a whole one, not a follow-up. */
interface AskOptions {
  fresh: boolean;
}

/** Presses Ask, then Stop `delayMs` later, from inside the page, and waits until the run has ended. */
export function askThenStopAfter(app: App, delayMs: number, { fresh }: AskOptions): Promise<StopOutcome> {
  return app.page.evaluate(
    ({ delayMs, timeout, fresh }) =>
      new Promise<StopOutcome>((resolve, reject) => {
        const find = (id: string) => document.querySelector<HTMLElement>(`[data-testid="${id}"]`);
        const status = () => find('answer')?.dataset.status ?? 'missing';
        const restart = find('new-conversation') as HTMLButtonElement | null;
        if (fresh && restart && !restart.disabled) restart.click();
        find('ask')?.click();
        setTimeout(() => {
          const stop = find('stop') as HTMLButtonElement | null;
          if (!stop || stop.disabled || status() !== 'running') {
            resolve({ clicked: false, phase: 'ended', clickToIdleMs: 0, status: status() });
            return;
          }
          const phase = find('trace')?.dataset.phase ?? 'unknown';
          const clickedAt = performance.now();
          stop.click();
          const finish = (): boolean => {
            if (status() === 'running') return false;
            resolve({ clicked: true, phase, clickToIdleMs: performance.now() - clickedAt, status: status() });
            return true;
          };
          if (finish()) return;
          const observer = new MutationObserver(() => {
            if (finish()) observer.disconnect();
          });
          observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
          setTimeout(() => {
            observer.disconnect();
            reject(new Error(`The run did not end within ${timeout} ms of Stop (clicked during ${phase})`));
          }, timeout);
        }, delayMs);
      }),
    { delayMs, timeout: RUN_TIMEOUT, fresh },
  );
}

/** Presses Ask and resolves with the page-clock time until the run ended by itself. */
export function timedRun(app: App, { fresh }: AskOptions): Promise<number> {
  return app.page.evaluate(
    ({ timeout, fresh }) =>
      new Promise<number>((resolve, reject) => {
        const answer = () => document.querySelector<HTMLElement>('[data-testid="answer"]');
        const restart = document.querySelector<HTMLButtonElement>('[data-testid="new-conversation"]');
        if (fresh && restart && !restart.disabled) restart.click();
        document.querySelector<HTMLElement>('[data-testid="ask"]')?.click();
        const started = performance.now();
        const observer = new MutationObserver(() => {
          if (answer()?.dataset.status === 'running') return;
          observer.disconnect();
          resolve(performance.now() - started);
        });
        observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
        setTimeout(() => {
          observer.disconnect();
          reject(new Error('the run did not end'));
        }, timeout);
      }),
    { timeout: RUN_TIMEOUT, fresh },
  );
}
