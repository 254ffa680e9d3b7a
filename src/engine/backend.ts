/**
 * The seam between the VisionThink loop and what answers it. The loop (conversation.ts) owns
 * everything both backends share: the policy, the resolutions and visual-token accounting, the
 * rounds, the tool-call parsing and the decisions, the events. A backend does only what differs:
 * it renders a turn the loop names (a question, the full image, an error turn) in its own form,
 * sends it with the image's pixels, generates with each token's probability, and keeps or drops
 * the state a question built.
 *
 * - local (local-backend.ts): transformers.js in this process; the turn is rendered text on a KV
 *   cache, with the prompt prefix's cache shared by every conversation.
 * - server (server/server-backend.ts): an OpenAI-compatible chat-completions server; the turn is
 *   a chat message with the image as a data URL, and the server's own prefix cache does the reuse.
 */
import type { TokenProbability } from './confidence.ts';
import type { PixelImage } from './image.ts';
import type { Policy } from './policies.ts';
import type { ServerUsage } from './server/types.ts';
import type { ImageGeometry } from './visual-tokens.ts';

/** A turn the loop appends to a conversation, in the protocol's terms. */
export type TurnInput =
  /** A question: the conversation's first (with the first image) or a follow-up (no image). */
  | { kind: 'question'; question: string; first: boolean }
  /** The full image, after the model asked for it (or the confidence gate did). */
  | { kind: 'full-image' }
  /** The protocol's error turn after a tool call that is refused or not understood. */
  | { kind: 'error'; errorInfo: string };

/** One round as the loop asks a backend for it. */
export interface RoundInput {
  round: number;
  turn: TurnInput;
  /** The image the turn shows, already resized to its pass (null for a text-only turn). */
  image: PixelImage | null;
  maxNewTokens: number;
  /** For benchmarks and tests: what the round says instead of the model's choice. */
  script?: string;
  signal: AbortSignal;
  /** The round moved on: the image's encoding, the prefill, the first generated token. */
  onPhase: (phase: 'encode' | 'prefill' | 'decode') => void;
  /** Newly generated text (whole characters, special tokens skipped). */
  onText: (delta: string) => void;
}

/** What a round produced and cost. */
export interface RoundOutput {
  /** The round's output, special tokens skipped. */
  output: string;
  /** The text each generated token added, with its probability (NaN where unknown). */
  tokens: TokenProbability[];
  /** Tokens in context when the round started decoding. */
  promptTokens: number;
  /** Tokens run through the decoder for the prefill (what was not cached). */
  prefilledTokens: number;
  generatedTokens: number;
  ms: { encode: number; prefill: number; decode: number };
  /** The server's own usage report (server backend only; null when the server sent none). */
  server?: ServerUsage | null;
}

/** One question on a conversation: rounds appended to the state after its last completed question. */
export interface BackendQuestion {
  round(input: RoundInput): Promise<RoundOutput>;
  /** The question completed: what it built becomes the conversation's state. */
  commit(): Promise<void>;
  /** The question ended otherwise: the conversation stays exactly as it was. */
  discard(): Promise<void>;
  /** The conversation so far as text, special tokens kept. */
  transcript(): string;
}

/** How a conversation runs on a backend. */
export interface ThreadOptions {
  policy: Policy;
  /** Continue each round on the cache of the conversation so far (local backend; default true). */
  reuseCache: boolean;
  /** Start the first question from the cached prompt prefix (local backend; default true). */
  prefixCache: boolean;
  /** The most tokens the conversation may hold, when set by the caller. */
  contextLimit?: number;
}

/** The state of one conversation on a backend. */
export interface BackendThread {
  /** Starts question `turn` (1 for the first) on the state after the last completed question. */
  begin(turn: number, signal: AbortSignal): Promise<BackendQuestion>;
  /** Frees what the conversation holds; a question still running frees its own when it ends. */
  dispose(): Promise<void>;
}

/** What answers the loop. */
export interface Backend {
  /** The image processor's settings: they decide each pass's size and visual tokens. */
  readonly geometry: ImageGeometry;
  /** Why the `confidence` policy cannot run here (no token probabilities), or null. */
  readonly confidenceUnavailable: string | null;
  open(options: ThreadOptions): BackendThread;
}
