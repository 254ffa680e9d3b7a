/**
 * One round's generation as the loop streams it: `text` events as tokens decode (whole
 * characters only), the round's output with special tokens skipped, and each generated token's
 * text with the probability the model gave it (for the confidence gate and the trace).
 */
import type { TokenProbability } from './confidence.ts';
import { TextDeltaStream } from './text-stream.ts';
import type { GenerateRequest, GenerateResult, VisionModel } from './vision-model.ts';

export interface StreamedRound {
  result: GenerateResult;
  /** The round's output, special tokens skipped. */
  output: string;
  /** The text each generated token added, with its probability. */
  tokens: TokenProbability[];
}

/** What a round reports as it streams, besides the model's own phases. */
export interface RoundStreamRequest extends Omit<GenerateRequest, 'onToken' | 'onPhase'> {
  /** The vision encoder starts, the decoder prefill starts, the first token is generated. */
  onPhase: (phase: 'encode' | 'prefill' | 'decode') => void;
  /** Newly decoded text (whole characters, special tokens skipped). */
  onText: (delta: string) => void;
}

/** Runs one round's generation, reporting its phases and text as they come. */
export async function streamRound(model: VisionModel, request: RoundStreamRequest): Promise<StreamedRound> {
  const { onText, ...generate } = request;
  const deltas = new TextDeltaStream((ids) => model.decode(ids, true));
  let streamed = '';
  // The text each generated token added to the stream ('' while a character is incomplete).
  const pieces: string[] = [];
  const result = await model.generate({
    ...generate,
    onToken: (generated) => {
      if (generated.length === 1) request.onPhase('decode');
      const delta = deltas.push(generated);
      pieces.push(delta);
      if (delta) {
        streamed += delta;
        onText(delta);
      }
    },
  });
  const output = model.decode(result.generated, true);
  // Decoding the whole output can differ from the streamed pieces at the end (a character
  // completed only by the last token): the rest is sent, and counted to the last token.
  if (output.length > streamed.length && output.startsWith(streamed)) {
    const rest = output.slice(streamed.length);
    onText(rest);
    if (pieces.length > 0) pieces[pieces.length - 1] = `${pieces.at(-1) ?? ''}${rest}`;
  }
  const tokens = pieces.map((text, i) => ({ text, p: result.probabilities[i] ?? Number.NaN }));
  return { result, output, tokens };
}
