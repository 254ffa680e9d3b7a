/**
 * The gallery of sample images the project renders itself (`samples/index.json` under the app's
 * base URL). A missing or unreadable index simply means no gallery.
 */
import type { Slice, SliceContext } from './app-state.ts';

/** An entry of `samples/index.json`. */
export interface SampleEntry {
  id: string;
  /** File name under `samples/`. */
  file: string;
  label: string;
  /** Questions that suit the image. */
  questions: readonly string[];
}

/** A sample with the absolute URL of its image. */
export interface Sample extends SampleEntry {
  url: string;
}

export interface SamplesState {
  status: 'loading' | 'ready' | 'missing';
  items: readonly Sample[];
}

export interface SamplesSlice {
  samples: SamplesState;
  /** Fetches the index; resolves when it is in (or known to be missing). */
  loadSamples: () => Promise<void>;
}

const isString = (value: unknown): value is string => typeof value === 'string';

/** A file name inside `samples/`: no scheme, no absolute path, no way up. */
const isSafeFile = (file: string): boolean =>
  file !== '' && !file.startsWith('/') && !file.includes(':') && !file.split('/').includes('..');

/** The valid entries of a parsed index (others are skipped, so one bad entry hides only itself). */
export function parseSampleIndex(json: unknown, baseUrl: string): Sample[] {
  if (!Array.isArray(json)) return [];
  const samples: Sample[] = [];
  const ids = new Set<string>();
  for (const entry of json as unknown[]) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { id, file, label, questions } = entry as Record<string, unknown>;
    if (!isString(id) || !isString(file) || !isString(label) || ids.has(id) || !isSafeFile(file)) continue;
    const list = Array.isArray(questions) ? (questions as unknown[]).filter(isString) : [];
    ids.add(id);
    samples.push({ id, file, label, questions: list, url: new URL(`samples/${file}`, baseUrl).href });
  }
  return samples;
}

export const createSamplesSlice =
  ({ deps }: SliceContext): Slice<SamplesSlice> =>
  (set) => ({
    samples: { status: 'loading', items: [] },
    loadSamples: async () => {
      set({ samples: { status: 'loading', items: [] } });
      let items: Sample[] = [];
      try {
        const response = await deps.fetch(new URL('samples/index.json', deps.baseUrl).href);
        if (response.ok) items = parseSampleIndex(await response.json(), deps.baseUrl);
      } catch {
        // No index (or not JSON): the app works without a gallery.
      }
      set({ samples: { status: items.length > 0 ? 'ready' : 'missing', items } });
    },
  });
