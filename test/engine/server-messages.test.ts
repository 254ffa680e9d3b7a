/**
 * The server backend's messages, rendered through the Qwen2-VL / Qwen2.5-VL chat template by
 * transformers.js (as vLLM renders them with the checkpoint's template), against the text the
 * VisionThink reference builds and the local backend sends, byte for byte.
 */
import { AutoTokenizer, type PreTrainedTokenizer } from '@huggingface/transformers';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TurnInput } from '../../src/engine/backend.ts';
import { FULL_IMAGE_FOLLOW_UP } from '../../src/engine/plain-protocol.ts';
import { policyFor } from '../../src/engine/policies.ts';
import {
  IMAGE_PLACEHOLDER,
  renderErrorTurn,
  renderFollowUpText,
  renderUserText,
  SYSTEM_PROMPT,
  TOOL_RESPONSE_TURN,
} from '../../src/engine/protocol.ts';
import { QWEN2_VL_CHAT_TEMPLATE } from '../../src/engine/qwen2-vl-chat-template.ts';
import { renderChatML, turnMessages } from '../../src/engine/server/server-messages.ts';
import type { ServerChatMessage } from '../../src/engine/server/types.ts';
import { TEST_MODEL_DIR } from '../../src/node/paths.ts';

const IMAGE = 'data:image/png;base64,iVBORw0KGgo=';
const QUESTION = 'What does the small sign say?';
const FOLLOW_UP = 'And what colour is it?';
const ROUND_1 =
  '<think>The text is too small.</think>\n<tool_call>\n{"name": "resize_image", "arguments": {"action": "resize"}}\n</tool_call>';
const ROUND_2 = '<think>Now it is legible.</think>\n<answer>OPEN</answer>';

let tokenizer: PreTrainedTokenizer;
beforeAll(async () => {
  tokenizer = await AutoTokenizer.from_pretrained(TEST_MODEL_DIR, { local_files_only: true });
});

/** What vLLM builds from the messages: the checkpoint's chat template with the generation prompt. */
function render(messages: ServerChatMessage[], options: Record<string, unknown> = {}): string {
  const text = tokenizer.apply_chat_template(messages, {
    ...options,
    chat_template: QWEN2_VL_CHAT_TEMPLATE,
    tokenize: false,
    add_generation_prompt: true,
  });
  if (typeof text !== 'string') throw new Error('the template gave no text');
  return text;
}

const visionthink = policyFor('visionthink');
const confidence = policyFor('confidence');
const turn = (input: TurnInput, policy = visionthink, image: string | null = null): ServerChatMessage[] =>
  turnMessages(policy, input, image);
const assistant = (content: string): ServerChatMessage => ({ role: 'assistant', content });

/** The reference's turn 1: system prompt and user template through the chat template (vllm_tool.py). */
const REFERENCE_ROUND_1 =
  `<|im_start|>system\n${SYSTEM_PROMPT}<|im_end|>\n` +
  `<|im_start|>user\n${renderUserText(QUESTION)}<|im_end|>\n<|im_start|>assistant\n`;

describe('server messages under the Qwen2.5-VL chat template', () => {
  const first = turn({ kind: 'question', question: QUESTION, first: true }, visionthink, IMAGE);

  it('render round 1 exactly as the reference prompt, the image part in place of <image>', () => {
    expect(first[1]?.content).toEqual([
      { type: 'text', text: renderUserText(QUESTION).split(IMAGE_PLACEHOLDER)[0] },
      { type: 'image_url', image_url: { url: IMAGE } },
      { type: 'text', text: `\n${QUESTION}` },
    ]);
    expect(render(first)).toBe(REFERENCE_ROUND_1);
  });

  it('render round 2 as the reference, but for the line break the template puts after <|im_end|>', () => {
    const messages = [...first, assistant(ROUND_1), ...turn({ kind: 'full-image' }, visionthink, IMAGE)];
    const rendered = render(messages);
    // VisionThink appends the tool response right after the model's <|im_end|>.
    const reference = `${REFERENCE_ROUND_1}${ROUND_1}<|im_end|>${TOOL_RESPONSE_TURN}`;
    expect(rendered).toBe(`${REFERENCE_ROUND_1}${ROUND_1}<|im_end|>\n${TOOL_RESPONSE_TURN}`);
    expect(rendered.replace(`${ROUND_1}<|im_end|>\n`, `${ROUND_1}<|im_end|>`)).toBe(reference);
    // The tool response is a user turn whose text parts surround the full image.
    const tool = messages.at(-1);
    expect(tool?.role).toBe('user');
    expect(Array.isArray(tool?.content) && tool.content.map((part) => part.type)).toEqual([
      'text',
      'image_url',
      'text',
    ]);
  });

  it('render the error turn as the reference, with the same line break', () => {
    const info = 'Unknown Tool Type: zoom. Available function tools are: `resize`';
    const messages = [...first, assistant(ROUND_1), ...turn({ kind: 'error', errorInfo: info })];
    expect(render(messages)).toBe(`${REFERENCE_ROUND_1}${ROUND_1}<|im_end|>\n${renderErrorTurn(info)}`);
  });

  it('render a follow-up exactly as the local conversation appends it', () => {
    const messages = [
      ...first,
      assistant(ROUND_1),
      ...turn({ kind: 'full-image' }, visionthink, IMAGE),
      assistant(ROUND_2),
      ...turn({ kind: 'question', question: FOLLOW_UP, first: false }),
    ];
    const local =
      `${REFERENCE_ROUND_1}${ROUND_1}<|im_end|>\n${TOOL_RESPONSE_TURN}${ROUND_2}<|im_end|>` +
      `\n<|im_start|>user\n${renderFollowUpText(FOLLOW_UP)}<|im_end|>\n<|im_start|>assistant\n`;
    expect(render(messages)).toBe(local);
  });

  it('render the confidence policy’s plain turns as the local backend does', () => {
    const plainFirst = turn({ kind: 'question', question: QUESTION, first: true }, confidence, IMAGE);
    const head = `<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n${IMAGE_PLACEHOLDER}${QUESTION}<|im_end|>\n<|im_start|>assistant\n`;
    expect(render(plainFirst, { enable_thinking: false })).toBe(head);
    const messages = [...plainFirst, assistant('A sign.'), ...turn({ kind: 'full-image' }, confidence, IMAGE)];
    expect(render(messages, { enable_thinking: false })).toBe(
      `${head}A sign.<|im_end|>\n<|im_start|>user\n${IMAGE_PLACEHOLDER}${FULL_IMAGE_FOLLOW_UP}<|im_end|>\n<|im_start|>assistant\n`,
    );
  });

  it('give the transcript the template would render', () => {
    const conversations: ServerChatMessage[][] = [
      first,
      [...first, assistant(ROUND_1), ...turn({ kind: 'full-image' }, visionthink, IMAGE)],
      turn({ kind: 'question', question: QUESTION, first: true }, confidence, IMAGE),
    ];
    for (const messages of conversations) expect(renderChatML(messages)).toBe(render(messages));
  });
});
