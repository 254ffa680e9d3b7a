/**
 * A hub dataset as the harness uses it: a seeded sample of a split's rows as `EvalItem`s, read
 * through the dataset viewer. Rows arrive in pages, images only when an item asks for its image.
 */
import { isRecord } from '../engine/is-record.ts';
import type { HubDatasetEntry } from './datasets.ts';
import {
  describeSplit,
  HubError,
  HubRowsClient,
  imageSrc,
  MAX_ROWS_PER_REQUEST,
  type HubClientOptions,
  type RowsPage,
} from './hub-rows.ts';
import { sampleIndices } from './sample.ts';
import type { DatasetInfo, EvalItem, SkippedItem } from './types.ts';

export interface OpenHubDatasetOptions extends HubClientOptions {
  /** Items to sample (the whole split when it has fewer rows). */
  limit: number;
  seed: number;
  signal?: AbortSignal;
}

/** A sample of a hub split, ready to pose. */
export interface HubDataset {
  info: DatasetInfo;
  items: EvalItem[];
  /** Sampled rows that cannot be posed (a missing or malformed cell), with why. */
  skipped: SkippedItem[];
}

/**
 * Samples `limit` rows of `entry`'s split with `seed` and reads them. The split's size comes from
 * the first request (row 0 alone; `/rows` reports `num_rows_total` with every page, which saves a
 * separate `/size` request and checks the entry's column names against the split before anything
 * else). The sampled rows are then read page by page, one request per 100-row page that holds any
 * of them, covering only the span from its first to its last sampled row.
 *
 * Throws a `HubError` when the split cannot be read or lacks a column the entry names, and
 * `AbortedError` when `signal` aborts. A row whose cells are missing or malformed is not an error:
 * it is returned in `skipped` with the reason.
 */
export async function openHubDataset(entry: HubDatasetEntry, options: OpenHubDatasetOptions): Promise<HubDataset> {
  const client = new HubRowsClient(entry, options);
  const { signal } = options;
  const first = await client.rows(0, 1, signal);
  checkColumns(entry, first);
  const size = first.num_rows_total;
  const info: DatasetInfo = {
    id: entry.id,
    label: entry.label,
    metric: entry.metric,
    size,
    source: describeSplit(entry),
  };

  const items: EvalItem[] = [];
  const skipped: SkippedItem[] = [];
  for (const span of pageSpans(sampleIndices(size, options.limit, options.seed))) {
    const page = await client.rows(span.offset, span.length, signal);
    const rows = new Map(page.rows.map((row) => [row.row_idx, row.row]));
    for (const index of span.indices) {
      const read = readRow(entry, index, rows.get(index), client);
      if ('reason' in read) skipped.push({ itemId: String(index), reason: read.reason });
      else items.push(read.item);
    }
  }
  return { info, items, skipped };
}

interface PageSpan {
  offset: number;
  length: number;
  indices: number[];
}

/** Sorted indices grouped by 100-row page, each group as the span it needs. */
function pageSpans(sorted: number[]): PageSpan[] {
  const spans: PageSpan[] = [];
  let current: PageSpan | undefined;
  for (const index of sorted) {
    if (current !== undefined && Math.floor(index / MAX_ROWS_PER_REQUEST) === pageOf(current)) {
      current.indices.push(index);
      current.length = index - current.offset + 1;
    } else {
      current = { offset: index, length: 1, indices: [index] };
      spans.push(current);
    }
  }
  return spans;
}

function pageOf(span: PageSpan): number {
  return Math.floor(span.offset / MAX_ROWS_PER_REQUEST);
}

function checkColumns(entry: HubDatasetEntry, page: RowsPage): void {
  const names = page.features.map((feature) => feature.name);
  const { image, question, answers, id, category } = entry.columns;
  const missing = [image, question, answers, id, category].filter(
    (column): column is string => column !== undefined && !names.includes(column),
  );
  if (missing.length === 0) return;
  const list = missing.map((column) => `"${column}"`).join(', ');
  throw new HubError(
    'hub-response',
    `${describeSplit(entry)} has no column ${list}; its columns are ${names.join(', ')}. ` +
      `The "${entry.id}" entry in src/eval/datasets.ts needs the right column names.`,
  );
}

/** One row as an item, or why it cannot be one. */
function readRow(
  entry: HubDatasetEntry,
  index: number,
  row: Record<string, unknown> | undefined,
  client: HubRowsClient,
): { item: EvalItem } | { reason: string } {
  const where = `Row ${index} of ${describeSplit(entry)}`;
  if (row === undefined) return { reason: `${where} was not in the dataset viewer's answer.` };
  const { columns } = entry;
  const named = `${where}${idNote(row, columns.id)}`;

  const question = row[columns.question];
  if (typeof question !== 'string' || question.trim() === '') {
    return { reason: `${named} has no question: its "${columns.question}" cell ${describeCell(question, 'text')}.` };
  }
  const answers = answerList(row[columns.answers]);
  if (answers === null) {
    return {
      reason: `${named} has no reference answer: its "${columns.answers}" cell ${describeCell(row[columns.answers], 'answers')}.`,
    };
  }
  const firstSrc = imageSrc(row[columns.image]);
  if (firstSrc === null) {
    return {
      reason: `${named} has no image: its "${columns.image}" cell ${describeCell(row[columns.image], 'image')}.`,
    };
  }

  // A category is only a breakdown label: a row without one is still worth asking.
  const category = columns.category === undefined ? undefined : row[columns.category];
  const imageColumn = columns.image;
  // The URL that last worked: a refreshed one saves the next call a refused request.
  let src = firstSrc;
  const item: EvalItem = {
    id: String(index),
    question: entry.instruction === undefined ? question : `${question}\n${entry.instruction}`,
    answers,
    ...(typeof category === 'string' && category !== '' ? { category } : {}),
    image: async (signal) => {
      const read = await client.readImage(index, imageColumn, src, signal);
      src = read.src;
      return read.bytes;
    },
  };
  return { item };
}

/** A text cell as [text], a list of texts as itself; null when it is neither or has none. */
function answerList(cell: unknown): string[] | null {
  if (typeof cell === 'string') return cell.trim() === '' ? null : [cell];
  if (!Array.isArray(cell) || cell.length === 0) return null;
  const texts = cell.filter((answer): answer is string => typeof answer === 'string');
  return texts.length === cell.length ? texts : null;
}

function idNote(row: Record<string, unknown>, column: string | undefined): string {
  if (column === undefined) return '';
  const value = row[column];
  return typeof value === 'string' || typeof value === 'number' ? ` (${column} ${value})` : '';
}

/** What is wrong with a cell that should hold `expected`, for a skip reason. */
function describeCell(cell: unknown, expected: 'text' | 'answers' | 'image'): string {
  if (cell === undefined) return 'is missing';
  if (cell === null) return 'is empty (null)';
  const want = expected === 'image' ? 'an image' : 'text';
  if (typeof cell === 'string') return expected === 'image' ? 'is text, not an image' : 'is empty';
  if (Array.isArray(cell)) {
    if (expected !== 'answers') return `is a list, not ${want}`;
    return cell.length === 0 ? 'is an empty list' : 'is a list with something other than text in it';
  }
  if (isRecord(cell)) return expected === 'image' ? 'has no image URL (src)' : 'is an object, not text';
  return `is a ${typeof cell}, not ${want}`;
}
