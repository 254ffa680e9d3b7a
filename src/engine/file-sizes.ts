/**
 * Download sizes of a model's files, learned from transformers.js's progress events before the
 * files arrive, and how a size reads for people (the app, the CLI and the bench alike).
 */

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

const SI_UNITS = [
  [1e3, 'kB'],
  [1e6, 'MB'],
  [1e9, 'GB'],
  [1e12, 'TB'],
] as const;

const threeDigits = (value: number): number => Number(value.toPrecision(3));

/**
 * Bytes in decimal (SI) units, 1 kB = 1,000 bytes and 1 MB = 1,000,000 bytes, as the Hugging Face
 * hub lists file sizes: the one convention of the app, the README and the bench. Three
 * significant digits at most ("735 MB", "2.7 GB", "310 kB").
 */
export function formatBytes(bytes: number): string {
  if (bytes < 999.5) return `${String(Math.round(bytes))} B`;
  // The smallest unit that keeps the figure under 1000 once rounded (999,999 bytes reads "1 MB").
  let text = '';
  for (const [size, name] of SI_UNITS) {
    const value = threeDigits(bytes / size);
    text = `${String(value)} ${name}`;
    if (value < 1000) break;
  }
  return text;
}
