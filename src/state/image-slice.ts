/**
 * The image being asked about. A new image stays pending until the worker has decoded it; only
 * then does it replace the current one, so a bad file or address never loses the image (or the
 * question) already there.
 */
import type { WorkerMessage } from '../protocol/messages.ts';
import type { AppState, Slice, SliceContext, StateChange } from './app-state.ts';
import type { AppDependencies } from './dependencies.ts';
import { AppFailure, newError, type AppError } from './errors.ts';
import { blobProblem, fetchImageBlob, nameFromUrl, parseImageUrl } from './fetch-image.ts';
import { idleRun, revokeRunUrls } from './run-slice.ts';

/** How the image reached the app. */
export type ImageOrigin = 'file' | 'drop' | 'paste' | 'url' | 'sample';

/** Where a downloaded image came from, so a failed download can be tried again. */
export type ImageAddress = { kind: 'url'; url: string } | { kind: 'sample'; sampleId: string };

/** An image the worker has decoded; runs refer to it by `imageId`. */
export interface OpenedImage {
  imageId: number;
  name: string;
  origin: ImageOrigin;
  /** The sample it is, if it came from the gallery (for its suggested questions). */
  sampleId: string | null;
  /** Where it was downloaded from (null for a local file), so that a share link can name it. */
  address: ImageAddress | null;
  /** After EXIF orientation. */
  width: number;
  height: number;
  /** Object URL of the file, revoked when the image is replaced. */
  previewUrl: string;
}

/** An image on its way: downloading (`requestId` null) or being decoded by the worker. */
export interface PendingImage {
  ticket: number;
  requestId: number | null;
  blob: Blob | null;
  name: string;
  origin: ImageOrigin;
  sampleId: string | null;
  address: ImageAddress | null;
}

export interface ImageState {
  current: OpenedImage | null;
  pending: PendingImage | null;
  error: AppError | null;
  /** How the image that failed was given (errors of the address field are shown beside it). */
  errorOrigin: ImageOrigin | null;
  /** What Retry downloads again after a failed download. */
  retryAddress: ImageAddress | null;
}

export interface ImageSlice {
  image: ImageState;
  /** Opens a file, a dropped or pasted image. Files that are clearly not images are refused here. */
  openImage: (blob: Blob, name: string, origin: ImageOrigin) => void;
  /** Downloads an http(s) image and opens it. Resolves when the download is over. */
  openImageUrl: (url: string) => Promise<void>;
  /** Opens an image of the sample gallery. */
  openSample: (sampleId: string) => Promise<void>;
  /** Forgets the image error (the person is correcting what caused it). */
  dismissImageError: () => void;
  /** Downloads the image of the failed address or sample again. */
  retryImage: () => void;
}

type Message<T extends WorkerMessage['type']> = Extract<WorkerMessage, { type: T }>;

const toFailure = (error: unknown): AppFailure =>
  error instanceof AppFailure
    ? error
    : new AppFailure('fetch-failed', `The image could not be downloaded: ${String(error)}`);

export const createImageSlice =
  ({ client, deps }: SliceContext): Slice<ImageSlice> =>
  (set, get) => {
    // Each attempt to open an image gets a ticket; a download that finishes after a newer attempt is dropped.
    let tickets = 0;

    const fail = (failure: AppFailure, retryAddress: ImageAddress | null, origin: ImageOrigin): void => {
      set((state) => {
        const { error, errorSeq } = newError(state, failure.code, failure.message);
        return { errorSeq, image: { ...state.image, pending: null, error, errorOrigin: origin, retryAddress } };
      });
    };

    const submit = (pending: Omit<PendingImage, 'requestId'> & { blob: Blob }): void => {
      const problem = blobProblem(pending.blob, pending.name);
      if (problem) {
        fail(problem, null, pending.origin);
        return;
      }
      const requestId = client.openImage(pending.blob);
      set((state) => ({
        image: {
          ...state.image,
          pending: { ...pending, requestId },
          error: null,
          errorOrigin: null,
          retryAddress: null,
        },
      }));
    };

    const download = async (
      url: URL,
      fields: Pick<PendingImage, 'name' | 'origin' | 'sampleId'> & { address: ImageAddress },
    ): Promise<void> => {
      const ticket = ++tickets;
      set((state) => ({
        image: {
          ...state.image,
          pending: { ticket, requestId: null, blob: null, ...fields },
          error: null,
          errorOrigin: null,
          retryAddress: null,
        },
      }));
      let blob: Blob;
      try {
        blob = await fetchImageBlob(url, deps.fetch);
      } catch (error) {
        if (get().image.pending?.ticket === ticket) fail(toFailure(error), fields.address, fields.origin);
        return;
      }
      if (get().image.pending?.ticket !== ticket) return;
      submit({ ticket, blob, ...fields });
    };

    return {
      image: { current: null, pending: null, error: null, errorOrigin: null, retryAddress: null },
      openImage: (blob, name, origin) => {
        submit({ ticket: ++tickets, blob, name, origin, sampleId: null, address: null });
      },
      openImageUrl: async (text) => {
        let url: URL;
        try {
          url = parseImageUrl(text);
        } catch (error) {
          tickets++;
          fail(toFailure(error), null, 'url');
          return;
        }
        await download(url, {
          name: nameFromUrl(url),
          origin: 'url',
          sampleId: null,
          address: { kind: 'url', url: url.href },
        });
      },
      openSample: async (sampleId) => {
        const sample = get().samples.items.find((item) => item.id === sampleId);
        if (!sample) return;
        await download(new URL(sample.url), {
          name: sample.label,
          origin: 'sample',
          sampleId,
          address: { kind: 'sample', sampleId },
        });
      },
      retryImage: () => {
        const address = get().image.retryAddress;
        if (address?.kind === 'url') void get().openImageUrl(address.url);
        else if (address?.kind === 'sample') void get().openSample(address.sampleId);
      },
      dismissImageError: () => {
        set((state) => ({ image: { ...state.image, error: null, errorOrigin: null, retryAddress: null } }));
      },
    };
  };

/**
 * `image-opened`: the pending image becomes the current one (the old preview is revoked). A
 * finished run of the old image is cleared; a running one is left to finish.
 */
export function imageOpened(state: AppState, message: Message<'image-opened'>, deps: AppDependencies): StateChange {
  const { pending, current } = state.image;
  if (pending?.requestId !== message.requestId || pending.blob === null) return null;
  if (current) deps.urls.revoke(current.previewUrl);
  const opened: OpenedImage = {
    imageId: message.imageId,
    name: pending.name,
    origin: pending.origin,
    sampleId: pending.sampleId,
    address: pending.address,
    width: message.width,
    height: message.height,
    previewUrl: deps.urls.create(pending.blob),
  };
  const change: Partial<AppState> = {
    image: { current: opened, pending: null, error: null, errorOrigin: null, retryAddress: null },
  };
  if (state.run.status !== 'running') {
    revokeRunUrls(state.run, deps);
    change.run = idleRun();
  }
  return change;
}

/**
 * `failed` for the image being opened: the current image stays. Decoding the same bytes again
 * would fail again, so there is nothing to retry.
 */
export function imageFailed(state: AppState, message: Message<'failed'>): StateChange {
  if (state.image.pending?.requestId !== message.requestId) return null;
  const { error, errorSeq } = newError(state, message.error.code, message.error.message);
  return {
    errorSeq,
    image: { ...state.image, pending: null, error, errorOrigin: state.image.pending.origin, retryAddress: null },
  };
}
