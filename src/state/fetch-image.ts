/**
 * Getting an image from an address: only http(s), downloaded without cookies, and refused with
 * a readable message when the address is wrong, the site cannot be reached, or what comes back
 * is not an image.
 */
import { imageFormatList } from '../engine/image.ts';
import { AppFailure } from './errors.ts';
import type { FetchFn } from './dependencies.ts';

/**
 * Checks what a person typed as an image address.
 * @throws {AppFailure} `invalid-url` when it is empty, not a URL, or not http/https.
 */
export function parseImageUrl(text: string): URL {
  const trimmed = text.trim();
  if (trimmed === '') {
    throw new AppFailure('invalid-url', 'Type or paste the address of an image first.');
  }
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new AppFailure(
      'invalid-url',
      `“${shorten(trimmed)}” is not a web address. Use the full address of an image, starting with https://.`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new AppFailure(
      'invalid-url',
      `Only web addresses (http:// or https://) can be loaded; this one starts with “${url.protocol}”. To use a file from this device, drop it on the page or choose it with the file picker.`,
    );
  }
  return url;
}

/**
 * Downloads `url` and returns it as a Blob, refusing anything that is not an image.
 * @throws {AppFailure} `fetch-failed` for network errors and HTTP errors, `not-an-image` for
 *   another content type or an empty body.
 */
export async function fetchImageBlob(url: URL, fetchFn: FetchFn): Promise<Blob> {
  let response: Response;
  try {
    response = await fetchFn(url.href, { credentials: 'omit', referrerPolicy: 'no-referrer' });
  } catch {
    throw new AppFailure(
      'fetch-failed',
      `Could not download the image from ${url.host}. The site may be unreachable, or it may not let other pages use its images. Save the image and drop the file here instead.`,
    );
  }
  if (!response.ok) {
    const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
    throw new AppFailure('fetch-failed', `${url.host} answered “${status}” for that address instead of an image.`);
  }
  const contentType = (response.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (contentType !== '' && !contentType.startsWith('image/')) {
    throw new AppFailure(
      'not-an-image',
      `That address gives ${describeType(contentType)}, not an image. Use the address of the image itself (right-click the image and copy its address).`,
    );
  }
  let blob: Blob;
  try {
    blob = await response.blob();
  } catch {
    throw new AppFailure('fetch-failed', `The download from ${url.host} broke off. Try again.`);
  }
  if (blob.size === 0) throw new AppFailure('not-an-image', `That address gives an empty file, not an image.`);
  return blob;
}

/** A name for an image downloaded from `url`: the last part of its path, or the host. */
export function nameFromUrl(url: URL): string {
  const last = url.pathname.split('/').filter(Boolean).pop();
  if (!last) return url.host;
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

/**
 * Why a Blob cannot be an image, judged from its size and declared type before the worker
 * decodes it; null when it may be one (an empty type is left to the decoder).
 */
export function blobProblem(blob: Blob, name: string): AppFailure | null {
  if (blob.size === 0)
    return new AppFailure('invalid-image', `“${name}” is empty (0 bytes), so there is no image to open.`);
  if (blob.type !== '' && !blob.type.toLowerCase().startsWith('image/')) {
    return new AppFailure(
      'not-an-image',
      `“${name}” is not an image (it is ${describeType(blob.type)}). Choose a ${imageFormatList()} image.`,
    );
  }
  return null;
}

function describeType(type: string): string {
  if (type.startsWith('text/html')) return 'a web page';
  if (type.startsWith('text/')) return 'text';
  if (type === 'application/json') return 'JSON data';
  if (type === 'application/pdf') return 'a PDF document';
  return `a file of type ${type}`;
}

function shorten(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}
