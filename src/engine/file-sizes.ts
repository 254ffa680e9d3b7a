/** Download sizes of a model's files, learned from transformers.js's progress events before the files arrive. */

/** What transformers.js reports while it loads a model (the fields this app reads). */
export interface ProgressEvent {
  status: string;
  file?: string;
  loaded?: number;
  total?: number;
  /** With `progress_total`: every file of the model, its bytes so far and its size (0 while unknown). */
  files?: Record<string, { loaded: number; total: number }>;
}

/**
 * The sizes of a model's files before they download. transformers.js looks them up first (a
 * one-byte range request per file) and reports them in each `progress_total` event, but a
 * file's entry is overwritten by its own progress once it starts: where the server sends no
 * Content-Length (a compressed response) that entry's total is just the bytes so far. So a size
 * is only taken while nothing of the file has arrived, or while less has arrived than it says.
 */
export class FileSizes {
  private readonly sizes = new Map<string, number>();

  /** Takes what `files` says; true when a size was learned. */
  learn(files: Readonly<Record<string, { loaded: number; total: number }>>): boolean {
    let learned = false;
    for (const [file, { loaded, total }] of Object.entries(files)) {
      if (this.sizes.has(file) || !(total > 0) || (loaded > 0 && loaded >= total)) continue;
      this.sizes.set(file, total);
      learned = true;
    }
    return learned;
  }

  known(): Record<string, number> {
    return Object.fromEntries(this.sizes);
  }
}
