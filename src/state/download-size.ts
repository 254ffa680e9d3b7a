/**
 * The download size of a model on a rung when the registry does not know it: the hub is asked for
 * each file's size the way transformers.js asks before downloading (a one-byte range request,
 * whose `Content-Range` carries the whole size), so the person sees the size before agreeing.
 */
import type { Rung } from '../engine/device-ladder.ts';
import type { FetchFn } from './dependencies.ts';
import { filesPrefix, type AppModelChoice } from './model-choices.ts';
import { expectedFiles } from './storage-slice.ts';

/** The size of one file from a one-byte range request; null when the server does not say. */
async function fileSize(url: string, fetchFn: FetchFn): Promise<number | null> {
  const response = await fetchFn(url, { headers: { Range: 'bytes=0-0' }, cache: 'no-store' });
  // Only the headers matter: do not download the rest when the server ignores the range.
  void response.body?.cancel().catch(() => undefined);
  const whole = /\/(\d+)\s*$/.exec(response.headers.get('content-range') ?? '')?.[1];
  if (response.status === 206 && whole !== undefined) return Number(whole);
  const length = response.headers.get('content-length');
  return response.status === 200 && length !== null ? Number(length) : null;
}

/**
 * The bytes `choice` downloads on `rung`, summed over its files; null when any file's size cannot
 * be learned (offline, or the server does not say).
 */
export async function probeDownloadBytes(
  choice: AppModelChoice,
  rung: Rung,
  baseUrl: string,
  fetchFn: FetchFn,
): Promise<number | null> {
  const prefix = filesPrefix(choice, baseUrl);
  try {
    const sizes = await Promise.all(expectedFiles(choice, rung).map((file) => fileSize(`${prefix}${file}`, fetchFn)));
    return sizes.every((size) => size !== null) ? sizes.reduce((sum, size) => sum + size, 0) : null;
  } catch {
    return null;
  }
}
