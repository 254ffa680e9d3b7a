/** What a peer serves and how, with the defaults `npm run serve` and `startPeer` share. */
import type { VisionModel } from '../../engine/vision-model.ts';

export interface PeerOptions {
  /**
   * A model id of the app's registry (`visionthink-test`, `visionthink-test-qwen3_5`) or a model
   * folder (see `loadModelForNode`), or a model loaded already, which the peer then leaves loaded
   * when it closes (peers sharing one model take turns on it). Default: `visionthink-test`.
   */
  model?: string | VisionModel;
  /** Default 127.0.0.1: only this machine can reach the peer. */
  host?: string;
  /** Default 8000, vLLM's; 0 takes any free port (see `Peer.url`). */
  port?: number;
  /** The name `/v1/models` lists and requests must use. Default: `model` as given (a loaded model's source). */
  servedModelName?: string;
  /** When set, every `/v1/*` request needs `Authorization: Bearer <apiKey>`. */
  apiKey?: string | null;
  /** Origins whose pages may read the answers (CORS); `*` allows all. Default `["*"]`. */
  allowedOrigins?: readonly string[];
  /** Report log-probabilities when asked (default true); false answers `logprobs: null`. */
  logprobs?: boolean;
  /** Report `prompt_tokens_details.cached_tokens` (default true); false answers `prompt_tokens_details: null`. */
  cachedTokens?: boolean;
  /** Reuse the KV caches of earlier requests (default true), like vLLM's automatic prefix caching. */
  prefixCaching?: boolean;
  /** Largest request body accepted, in bytes; a larger one gets 413. Default 50,000,000. */
  maxBodyBytes?: number;
  /** The context length served (vLLM's `--max-model-len`); default and maximum: the model's own. */
  maxModelLen?: number;
  /** How many finished requests' KV caches to keep for reuse (default 4). */
  cacheCapacity?: number;
}

export const DEFAULT_MODEL = 'visionthink-test';
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8000;
export const DEFAULT_MAX_BODY_BYTES = 50_000_000;
export const DEFAULT_CACHE_CAPACITY = 4;
