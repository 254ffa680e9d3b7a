/**
 * Helpers of the peer's tests: requests as a client sends them (fetch, real HTTP), the streamed
 * events read back, and the VisionThink turns as chat messages with PNG data URLs.
 */
import { IMAGE_PLACEHOLDER, SYSTEM_PROMPT, TOOL_RESPONSE_TURN, renderUserText } from '../../src/engine/protocol.ts';
import type { SampleKind } from '../../scripts/samples/test-images.ts';
import { samplePng } from '../engine/helpers.ts';

/** A sample image as the server backend sends it: a PNG data URL. */
export async function pngDataUrl(kind: SampleKind, colour: string, width: number, height: number): Promise<string> {
  return `data:image/png;base64,${(await samplePng(kind, colour, width, height)).toString('base64')}`;
}

type Part = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };
export interface Message {
  role: 'system' | 'user' | 'assistant';
  content: string | Part[];
}

/** Text with the protocol's image placeholder as parts: the text around it and the image. */
function withImage(text: string, url: string): Part[] {
  const [before = '', after = ''] = text.split(IMAGE_PLACEHOLDER);
  return [
    { type: 'text', text: before },
    { type: 'image_url', image_url: { url } },
    { type: 'text', text: after },
  ];
}

/** VisionThink's round 1 as chat messages: the system prompt and the user turn with the image. */
export function visionThinkRound1(question: string, url: string): Message[] {
  return [
    { role: 'system', content: SYSTEM_PROMPT },
    { role: 'user', content: withImage(renderUserText(question), url) },
  ];
}

/** Round 2: round 1, the model's reply, and the tool response with the full image as a user turn. */
export function visionThinkRound2(round1: Message[], reply: string, fullUrl: string): Message[] {
  const toolResponse = TOOL_RESPONSE_TURN.replace('<|im_start|>user\n', '').replace(
    '<|im_end|>\n<|im_start|>assistant\n',
    '',
  );
  return [
    ...round1,
    { role: 'assistant', content: reply },
    { role: 'user', content: withImage(toolResponse, fullUrl) },
  ];
}

/** POSTs `body` to the chat completions of the peer at `url` (its `/v1` base). */
export function postChat(url: string, body: object, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/chat/completions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

/** The JSON of a successful answer (fails the test with the body otherwise). */
export async function okJson<T = Record<string, unknown>>(response: Response): Promise<T> {
  const text = await response.text();
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** The `data:` payloads of an event stream, in order: parsed JSON, or the raw text where it is not JSON. */
export async function readEvents(response: Response): Promise<unknown[]> {
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((event) => event.startsWith('data: '))
    .map((event) => {
      const data = event.slice('data: '.length);
      try {
        return JSON.parse(data) as unknown;
      } catch {
        return data;
      }
    });
}

/** A streamed chunk as the tests read it. */
export interface Chunk {
  id: string;
  object: string;
  created: number;
  model: string;
  choices: {
    index: number;
    delta: { role?: string; content?: string };
    logprobs: { content: { token: string; logprob: number; bytes: number[]; top_logprobs: unknown[] }[] } | null;
    finish_reason: string | null;
    stop_reason?: null;
  }[];
  usage?: Usage;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens: number; multimodal_tokens?: { image: number } } | null;
}

/** A whole chat completion as the tests read it. */
export interface Completion {
  id: string;
  object: string;
  model: string;
  choices: {
    message: { role: string; content: string };
    logprobs: { content: { token: string; logprob: number }[] } | null;
    finish_reason: string;
  }[];
  usage: Usage;
}
