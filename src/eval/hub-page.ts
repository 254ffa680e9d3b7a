/**
 * What the dataset viewer's `/rows` answers look like, read defensively (a page that is not one
 * becomes a `HubError`; a row that cannot be placed is dropped for the caller to report), and the
 * errors a hub dataset fails with.
 */
import { isRecord } from '../engine/is-record.ts';

/** The most rows `/rows` gives in one answer. */
export const MAX_ROWS_PER_REQUEST = 100;

/** A `/rows` answer, as documented. */
export interface RowsPage {
  features: { feature_idx: number; name: string; type: unknown }[];
  /** Rows whose entry had no numeric `row_idx` or no `row` object are left out. */
  rows: { row_idx: number; row: Record<string, unknown>; truncated_cells: unknown[] }[];
  num_rows_total: number;
  num_rows_per_page: number;
  /** True when the viewer could only read part of a very large split. */
  partial: boolean;
}

/** Why the hub could not give what was asked. */
export type HubErrorCode =
  /** An error status (the viewer's own message is in the text). */
  | 'hub-http'
  /** Still 429 or 503 after every try. */
  | 'hub-busy'
  /** Nothing answered (no network, wrong address). */
  | 'hub-unreachable'
  | 'hub-timeout'
  /** An answer that is not what the API documents, or a dataset without the columns its entry names. */
  | 'hub-response';

/** A failure reading a hub dataset, with a message written for a person. */
export class HubError extends Error {
  override readonly name = 'HubError';
  constructor(
    readonly code: HubErrorCode,
    message: string,
    /** The HTTP status, for `hub-http` and `hub-busy`. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A `/rows` answer read from its text; `subject` names the dataset in errors. */
export function readPage(text: string, subject: string): RowsPage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new HubError('hub-response', `${subject}: its answer is not JSON.`, undefined, { cause: error });
  }
  if (
    !isRecord(value) ||
    !Array.isArray(value.features) ||
    !Array.isArray(value.rows) ||
    typeof value.num_rows_total !== 'number'
  ) {
    throw new HubError(
      'hub-response',
      `${subject}: its answer is not a page of rows (no features, rows or num_rows_total).`,
    );
  }
  const features = value.features
    .filter(isRecord)
    .flatMap((feature) =>
      typeof feature.name === 'string'
        ? [{ feature_idx: Number(feature.feature_idx), name: feature.name, type: feature.type }]
        : [],
    );
  // A row entry that cannot be placed is dropped here; the caller reports its index as skipped.
  const rows = value.rows.filter(isRecord).flatMap((entry) =>
    typeof entry.row_idx === 'number' && isRecord(entry.row)
      ? [
          {
            row_idx: entry.row_idx,
            row: entry.row,
            truncated_cells: Array.isArray(entry.truncated_cells) ? (entry.truncated_cells as unknown[]) : [],
          },
        ]
      : [],
  );
  return {
    features,
    rows,
    num_rows_total: value.num_rows_total,
    num_rows_per_page: typeof value.num_rows_per_page === 'number' ? value.num_rows_per_page : MAX_ROWS_PER_REQUEST,
    partial: value.partial === true,
  };
}

/** The signed URL of an image cell (`{ src, height, width }`), or null when the cell is not one. */
export function imageSrc(cell: unknown): string | null {
  return isRecord(cell) && typeof cell.src === 'string' && cell.src !== '' ? cell.src : null;
}
