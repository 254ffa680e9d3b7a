/**
 * What the loop sends and reads under each prompt protocol, behind one small interface: round 1's
 * turn, the turn that shows the full image, and the answer in a reply. `visionthink` is the
 * released model's protocol (protocol.ts); `plain` is the `confidence` policy's, for models never
 * trained on it (plain-protocol.ts).
 */
import { answerSpan } from './confidence.ts';
import { EngineError } from './errors.ts';
import type { Policy } from './policies.ts';
import { followUpMessages, PLAIN_TEMPLATE_OPTIONS, plainMessages } from './plain-protocol.ts';
import { TOOL_RESPONSE_TURN, chatMessages, extractAnswer } from './protocol.ts';
import type { VisionModel } from './vision-model.ts';

export interface PromptProtocol {
  /** The text of round 1 for `question` (one image placeholder, for the low-resolution image). */
  firstTurn(question: string): string;
  /**
   * The text appended after the model's reply to show it the full image (one placeholder);
   * `lastToken` is the reply's last token.
   */
  fullImageTurn(lastToken: bigint | undefined): string;
  /** The answer in a reply, as the protocol defines it. */
  answer(output: string): string;
}

const END_OF_TURN = '<|im_end|>';
const USER_TURN = '<|im_start|>user';

/** The protocol of `policy` for `model`; a chat template the plain protocol cannot continue fails here, before anything runs. */
export function promptProtocol(policy: Pick<Policy, 'prompt'>, model: VisionModel): PromptProtocol {
  if (policy.prompt === 'visionthink') {
    return {
      firstTurn: (question) => model.renderChat(chatMessages(question)),
      fullImageTurn: () => TOOL_RESPONSE_TURN,
      answer: extractAnswer,
    };
  }
  // The follow-up is the template's own user turn with the generation prompt, from its
  // `<|im_start|>user` on, after the line break the template puts after every `<|im_end|>`.
  const rendered = model.renderChat(followUpMessages(), 'own', PLAIN_TEMPLATE_OPTIONS);
  const start = rendered.lastIndexOf(USER_TURN);
  if (start < 0) {
    throw new EngineError(
      'model-invalid',
      `The chat template of "${model.source}" does not mark turns with ${USER_TURN}, so "Escalate when unsure" cannot show it the full image in a second turn. Choose another policy.`,
    );
  }
  const followUp = `\n${rendered.slice(start)}`;
  return {
    firstTurn: (question) => model.renderChat(plainMessages(question), 'own', PLAIN_TEMPLATE_OPTIONS),
    // A reply cut off by the length limit has not ended its turn yet: end it first.
    fullImageTurn: (lastToken) =>
      lastToken !== undefined && model.decode([lastToken], false) === END_OF_TURN
        ? followUp
        : `${END_OF_TURN}${followUp}`,
    answer: (output) => {
      const span = answerSpan(output);
      return output.slice(span.start, span.end);
    },
  };
}
