/**
 * The VisionThink protocol: the prompts the released checkpoints were trained on, and how a
 * tool call is recognised and judged. Reproduced byte for byte from the public VisionThink
 * repository (`scripts/vllm_tool.py`, `verl/trainer/constants.py`,
 * `verl/workers/rollout/vllm_rollout/vllm_rollout_spmd.py` and `function_tools.py`), because a
 * model trained on these exact strings behaves differently on anything else.
 */
import { pyJsonLoads, PyJsonDecodeError, pyStr, pyStrip, pySubscript, PyValueError } from './python-compat.ts';
import type { PyValue } from './python-compat.ts';

/**
 * The system prompt of turn 1. The original is a Python triple-quoted (not raw) string, so the
 * `\n` in the tool's description is a real line break and the JSON on the `<tools>` line is
 * split in two; the model was trained on that broken JSON, so it stays broken.
 */
export const SYSTEM_PROMPT: string = [
  'You are a helpful assistant.',
  '',
  '# Tools',
  '',
  'You may call the function tool shown below to assist with the user query.',
  '',
  'You are provided with the function signature within <tools></tools> XML tags:',
  '<tools>',
  '{"type": "function", "function": {"name_for_human": "resize_image", "name": "resize_image", "description": "Resize the image resolution.", "parameters": {"properties": {"action": {"description": "The action to perform. The available actions are:',
  '* `resize`: Double the resolution of the current image. You should only use this tool if you are unable to obtain the critical information needed to answer the question from the current resolution.", "enum": ["resize"], "type": "string"}}, "required": ["action"], "type": "object"}, "args_format": "Format the arguments as a JSON object."}}',
  '</tools>',
  'For each function call, return a json object with the function name and the corresponding argument within <tool_call></tool_call> XML tags:',
  '<tool_call>',
  '{"name": <function-name>, "arguments": <args-json-object>}',
  '</tool_call>',
].join('\n');

/** What one image becomes in the prompt text; the processor expands `<|image_pad|>` per visual token. */
export const IMAGE_PLACEHOLDER = '<|vision_start|><|image_pad|><|vision_end|>';

const USER_TEMPLATE_HEAD =
  'Answer the question based on the image provided. You must conduct reasoning within <think> and </think> first in each of your reasoning steps. You may call ONE function tool per step to help you better solve the problem. Place the function tool within <tool_call> and </tool_call> at the end of each step to perform a function call. You should continue your reasoning process based on the content returned by the function tool. Once you confirm your final answer, place the final answer inside <answer> and </answer>. For mathematical or multiple-choice problem, wrap the answer value or choice with \\boxed{}. Here is the image and question:\n';

/**
 * The user turn of turn 1 for `question`: the template with `{Question}` = `"<image>\n" + question`
 * and that `<image>` replaced by {@link IMAGE_PLACEHOLDER}.
 *
 * Only the marker this function inserts becomes an image: a literal `<image>` typed in the
 * question stays text, whereas VisionThink's evaluation would skip its own marker and turn the
 * typed one into an image slot (it was written for benchmark prompts that carry one).
 */
export function renderUserText(question: string): string {
  // `{Question}` is `"<image>\n" + question`; the marker is swapped here rather than by a global
  // replace so that the question's own text is never touched.
  return USER_TEMPLATE_HEAD + IMAGE_PLACEHOLDER + '\n' + question;
}

/**
 * The user turn of a follow-up question in a conversation: the same template, with `{Question}`
 * the question alone, because the image is already in context (one or both resolutions). The
 * model keeps the protocol it was trained on: reason in `<think>`, answer in `<answer>`, and ask
 * for the full image with the tool if it still needs it.
 */
export function renderFollowUpText(question: string): string {
  return USER_TEMPLATE_HEAD + question;
}

/** Sent after the model's `<|im_end|>` when it asks for the full image; the image goes in its placeholder. */
export const TOOL_RESPONSE_TURN: string =
  '<|im_start|>user\n<tool_response>\nThe resized image is shown below:\n' +
  IMAGE_PLACEHOLDER +
  '\n</tool_response>\nPlease carefully analyze the content returned from the image resize tool in combination with the original question and image from the user, continue your reasoning process inside <think> and </think> and then write your final answer inside <answer> and </answer>.<|im_end|>\n<|im_start|>assistant\n';

/**
 * The turn sent after an unusable tool call. Training (`vllm_rollout_spmd.py`) wrapped the error
 * in a `<tool_response>` as here; "Countinue" is the original spelling.
 */
export function renderErrorTurn(errorInfo: string): string {
  return (
    '<|im_start|>user\n<tool_response>\nERROR occurs during the function tool call. Error Information: ' +
    errorInfo +
    '.\n</tool_response>\nPlease analyze the error information obtained from the function tool and adjust your response. Countinue your reasoning process inside <think> and </think>.<|im_end|>\n<|im_start|>assistant\n'
  );
}

/**
 * What an assistant turn asks for.
 * - `none`: no complete `<tool_call>…</tool_call>`; the turn is the final answer.
 * - `resize`: a valid request for the full-resolution image.
 * - `invalid`: a tool call VisionThink would reject; `error` is the `error_info` for {@link renderErrorTurn}.
 *
 * `raw` is the markup as the model wrote it, from the first `<tool_call>` to the last `</tool_call>`.
 */
export type ToolCall =
  { kind: 'none' } | { kind: 'resize'; raw: string } | { kind: 'invalid'; raw: string; error: string };

// Python `re.DOTALL`: the call may span lines.
const TOOL_CALL_BLOCK = /<tool_call>([\s\S]*?)<\/tool_call>/g;
// Python's `.` without DOTALL stops only at '\n' (JS's also stops at '\r', U+2028, U+2029), so a
// JSON object spread over several lines is not found at all, exactly as in VisionThink.
const JSON_CANDIDATE = /\{[^\n]*?\}\}/g;

/**
 * Judges an assistant turn (decoded with special tokens skipped) as VisionThink does: every
 * `{…}}` inside every tool call is parsed with Python's `json.loads`, and the request is valid
 * only as exactly one object whose `arguments.action` is `"resize"` (the function name is not
 * checked). The `error` texts are Python 3.11's `str(exception)` for each failure.
 */
export function parseToolCall(turnText: string): ToolCall {
  const blocks = [...turnText.matchAll(TOOL_CALL_BLOCK)];
  const first = blocks[0];
  const last = blocks[blocks.length - 1];
  if (first === undefined || last === undefined) return { kind: 'none' };
  const raw = turnText.slice(first.index, last.index + last[0].length);

  const objects: PyValue[] = [];
  try {
    for (const block of blocks) {
      for (const candidate of (block[1] ?? '').matchAll(JSON_CANDIDATE)) {
        objects.push(pyJsonLoads(candidate[0]));
      }
    }
  } catch (error) {
    if (error instanceof PyJsonDecodeError || error instanceof PyValueError) {
      return { kind: 'invalid', raw, error: error.message };
    }
    throw error;
  }
  const error = resizeRequestError(objects);
  return error === null ? { kind: 'resize', raw } : { kind: 'invalid', raw, error };
}

/** VisionThink's `prepare_tool_call_inputs`, in its order of checks; `null` when valid. */
function resizeRequestError(objects: readonly PyValue[]): string | null {
  for (const object of objects) {
    const args = pySubscript(object, 'arguments');
    if ('error' in args) return args.error;
    const action = pySubscript(args.value, 'action');
    if ('error' in action) return action.error;
    if (action.value.type !== 'str' || action.value.value !== 'resize') {
      return `Unknown Tool Type: ${pyStr(action.value)}. Available function tools are: \`resize\``;
    }
    // Checked inside the loop, after the first object's action, as the original does.
    if (objects.length !== 1) return 'You should only call function `resize` once per function call.';
  }
  // With no object the original returns a variable it never assigned.
  if (objects.length === 0) {
    return "cannot access local variable 'action_type' where it is not associated with a value";
  }
  return null;
}

/**
 * The answer of a turn: `text.split("</answer>")[0].split("<answer>")[-1].strip()` in Python,
 * so text without tags comes back whole (stripped), and the first `</answer>` ends it.
 */
export function extractAnswer(text: string): string {
  const beforeClose = text.split('</answer>')[0] ?? '';
  const afterOpen = beforeClose.split('<answer>');
  return pyStrip(afterOpen[afterOpen.length - 1] ?? '');
}

/** The messages of turn 1, to render through the model's chat template with a generation prompt. */
export function chatMessages(question: string): { role: 'system' | 'user'; content: string }[] {
  return [
    { role: 'system', content: SYSTEM_PROMPT },
    { role: 'user', content: renderUserText(question) },
  ];
}
