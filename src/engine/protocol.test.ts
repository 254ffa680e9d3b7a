import { Template } from '@huggingface/jinja';
import { describe, expect, it } from 'vitest';
import {
  chatMessages,
  extractAnswer,
  IMAGE_PLACEHOLDER,
  parseToolCall,
  renderErrorTurn,
  renderUserText,
  SYSTEM_PROMPT,
  TOOL_RESPONSE_TURN,
} from './protocol.ts';
import { QWEN2_VL_CHAT_TEMPLATE } from './qwen2-vl-chat-template.ts';

// Expected texts are typed out here from shared/reference/visionthink-protocol.md (which quotes
// the VisionThink repository), independently of the constants under test.
const EXPECTED_SYSTEM =
  'You are a helpful assistant.\n\n# Tools\n\nYou may call the function tool shown below to assist with the user query.\n\n' +
  'You are provided with the function signature within <tools></tools> XML tags:\n<tools>\n' +
  '{"type": "function", "function": {"name_for_human": "resize_image", "name": "resize_image", "description": "Resize the image resolution.", ' +
  '"parameters": {"properties": {"action": {"description": "The action to perform. The available actions are:\n' +
  '* `resize`: Double the resolution of the current image. You should only use this tool if you are unable to obtain the critical information ' +
  'needed to answer the question from the current resolution.", "enum": ["resize"], "type": "string"}}, "required": ["action"], "type": "object"}, ' +
  '"args_format": "Format the arguments as a JSON object."}}\n</tools>\n' +
  'For each function call, return a json object with the function name and the corresponding argument within <tool_call></tool_call> XML tags:\n' +
  '<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>';

const EXPECTED_USER_HEAD =
  'Answer the question based on the image provided. You must conduct reasoning within <think> and </think> first in each of your ' +
  'reasoning steps. You may call ONE function tool per step to help you better solve the problem. Place the function tool within ' +
  '<tool_call> and </tool_call> at the end of each step to perform a function call. You should continue your reasoning process based ' +
  'on the content returned by the function tool. Once you confirm your final answer, place the final answer inside <answer> and ' +
  '</answer>. For mathematical or multiple-choice problem, wrap the answer value or choice with \\boxed{}. Here is the image and question:';

const VISION = '<|vision_start|><|image_pad|><|vision_end|>';
const QUESTION = 'What is the total revenue in 2021?\nA. 10\nB. 20';
const EXPECTED_USER = `${EXPECTED_USER_HEAD}\n${VISION}\n${QUESTION}`;

const EMISSION = '<tool_call>\n{"name": "resize_image", "arguments": {"action": "resize"}}\n</tool_call>';
const UNBOUND = "cannot access local variable 'action_type' where it is not associated with a value";
const unknownTool = (shown: string): string => `Unknown Tool Type: ${shown}. Available function tools are: \`resize\``;

describe('protocol constants', () => {
  it('has the system prompt byte for byte, with the real line break inside the tool JSON', () => {
    expect(SYSTEM_PROMPT).toBe(EXPECTED_SYSTEM);
    expect(SYSTEM_PROMPT.split('\n')).toHaveLength(15);
    expect(SYSTEM_PROMPT).toContain('The available actions are:\n* `resize`');
    expect(SYSTEM_PROMPT.endsWith('</tool_call>')).toBe(true);
  });

  it('has the image placeholder', () => {
    expect(IMAGE_PLACEHOLDER).toBe(VISION);
  });

  it('has the tool-response turn, ending with a newline after assistant', () => {
    const expected = [
      '<|im_start|>user',
      '<tool_response>',
      'The resized image is shown below:',
      VISION,
      '</tool_response>',
      'Please carefully analyze the content returned from the image resize tool in combination with the original question and ' +
        'image from the user, continue your reasoning process inside <think> and </think> and then write your final answer inside ' +
        '<answer> and </answer>.<|im_end|>',
      '<|im_start|>assistant',
      '',
    ].join('\n');
    expect(TOOL_RESPONSE_TURN).toBe(expected);
  });

  it('renders the error turn with the original "Countinue"', () => {
    const expected = [
      '<|im_start|>user',
      '<tool_response>',
      "ERROR occurs during the function tool call. Error Information: 'arguments'.",
      '</tool_response>',
      'Please analyze the error information obtained from the function tool and adjust your response. Countinue your reasoning ' +
        'process inside <think> and </think>.<|im_end|>',
      '<|im_start|>assistant',
      '',
    ].join('\n');
    expect(renderErrorTurn("'arguments'")).toBe(expected);
  });
});

describe('renderUserText', () => {
  it('puts the image placeholder and the question after the template', () => {
    expect(renderUserText(QUESTION)).toBe(EXPECTED_USER);
  });

  it('leaves the question itself untouched, braces and markers included', () => {
    const question = 'Is {Question} or <image> written on the sign?';
    const text = renderUserText(question);
    expect(text.endsWith(`\\boxed{}. Here is the image and question:\n${VISION}\n${question}`)).toBe(true);
    expect(text.split(VISION)).toHaveLength(2);
  });
});

describe('chatMessages through the Qwen2-VL chat template', () => {
  it('renders turn 1 exactly as apply_chat_template(add_generation_prompt=True) does', () => {
    const rendered = new Template(QWEN2_VL_CHAT_TEMPLATE).render({
      messages: chatMessages(QUESTION),
      add_generation_prompt: true,
    });
    const expected =
      `<|im_start|>system\n${EXPECTED_SYSTEM}<|im_end|>\n` +
      `<|im_start|>user\n${EXPECTED_USER}<|im_end|>\n` +
      '<|im_start|>assistant\n';
    expect(rendered).toBe(expected);
  });

  it('is the system and user messages in that order', () => {
    expect(chatMessages('Q?')).toEqual([
      { role: 'system', content: EXPECTED_SYSTEM },
      { role: 'user', content: `${EXPECTED_USER_HEAD}\n${VISION}\nQ?` },
    ]);
  });
});

describe('parseToolCall', () => {
  it('accepts the expected emission', () => {
    const turn = `<think>The digits are too small to read.</think>\n${EMISSION}`;
    expect(parseToolCall(turn)).toEqual({ kind: 'resize', raw: EMISSION });
  });

  it('reports no call for a final answer', () => {
    expect(parseToolCall('<think>It is red.</think><answer>red</answer>')).toEqual({ kind: 'none' });
  });

  it('reports no call when the closing tag is missing', () => {
    expect(parseToolCall('<tool_call>\n{"name": "resize_image", "arguments": {"action": "resize"}}')).toEqual({
      kind: 'none',
    });
  });

  it('accepts any function name, as VisionThink checks only the action', () => {
    const call = '<tool_call>{"name": "zoom_in", "arguments": {"action": "resize"}}</tool_call>';
    expect(parseToolCall(call)).toEqual({ kind: 'resize', raw: call });
  });

  it('accepts extra whitespace and line breaks around the JSON and spaces inside it', () => {
    const call =
      '<tool_call>\n\n   {"name" :  "resize_image",   "arguments":{ "action" : "resize" }}  \r\n\n</tool_call>';
    expect(parseToolCall(`before ${call} after`)).toEqual({ kind: 'resize', raw: call });
  });

  it('treats a carriage return inside the JSON like any character, as Python does', () => {
    const call = '<tool_call>\r\n{"name": "resize_image",\r "arguments": {"action": "resize"}}\r\n</tool_call>';
    expect(parseToolCall(call).kind).toBe('resize');
  });

  it('rejects a wrong action with the Unknown Tool Type error', () => {
    const call = '<tool_call>\n{"name": "resize_image", "arguments": {"action": "zoom"}}\n</tool_call>';
    expect(parseToolCall(call)).toEqual({ kind: 'invalid', raw: call, error: unknownTool('zoom') });
  });

  it('shows a non-string action as Python prints it', () => {
    const withAction = (action: string): string =>
      `<tool_call>{"name": "resize_image", "arguments": {"action": ${action}}}</tool_call>`;
    const errorOf = (action: string): string | undefined => {
      const result = parseToolCall(withAction(action));
      return result.kind === 'invalid' ? result.error : undefined;
    };
    expect(errorOf('["resize"]')).toBe(unknownTool("['resize']"));
    expect(errorOf('null')).toBe(unknownTool('None'));
    expect(errorOf('true')).toBe(unknownTool('True'));
    expect(errorOf('2.0')).toBe(unknownTool('2.0'));
    expect(errorOf('1e-5')).toBe(unknownTool('1e-05'));
    expect(errorOf('12345678901234567890123')).toBe(unknownTool('12345678901234567890123'));
  });

  it('reports malformed JSON with the json.loads message and position', () => {
    const call = '<tool_call>\n{"name": "resize_image", "arguments": {"action": resize}}\n</tool_call>';
    expect(parseToolCall(call)).toEqual({
      kind: 'invalid',
      raw: call,
      error: 'Expecting value: line 1 column 50 (char 49)',
    });
  });

  it('reports single-quoted and trailing-comma JSON as Python 3.11 does', () => {
    const single = "<tool_call>\n{'name': 'resize_image', 'arguments': {'action': 'resize'}}\n</tool_call>";
    expect(parseToolCall(single)).toMatchObject({
      error: 'Expecting property name enclosed in double quotes: line 1 column 2 (char 1)',
    });
    const trailing = '<tool_call>\n{"name": "resize_image", "arguments": {"action": "resize",}}\n</tool_call>';
    expect(parseToolCall(trailing)).toMatchObject({
      error: 'Expecting property name enclosed in double quotes: line 1 column 59 (char 58)',
    });
  });

  it('counts error positions in code points, not UTF-16 units', () => {
    const call = '<tool_call>{"name": "😀😀", "arguments": {"action": resize}}</tool_call>';
    expect(parseToolCall(call)).toMatchObject({ error: 'Expecting value: line 1 column 40 (char 39)' });
  });

  it('rejects two objects in one call', () => {
    const call = `<tool_call>\n${'{"name": "resize_image", "arguments": {"action": "resize"}}\n'.repeat(2)}</tool_call>`;
    expect(parseToolCall(call)).toEqual({
      kind: 'invalid',
      raw: call,
      error: 'You should only call function `resize` once per function call.',
    });
  });

  it('rejects two calls, and raw spans both', () => {
    const turn = `${EMISSION}\nand again\n${EMISSION}`;
    expect(parseToolCall(`x ${turn} y`)).toEqual({
      kind: 'invalid',
      raw: turn,
      error: 'You should only call function `resize` once per function call.',
    });
  });

  it("checks the first object's action before counting objects", () => {
    const call =
      '<tool_call>\n{"name": "resize_image", "arguments": {"action": "zoom"}}\n' +
      '{"name": "resize_image", "arguments": {"action": "resize"}}\n</tool_call>';
    expect(parseToolCall(call)).toMatchObject({ error: unknownTool('zoom') });
  });

  it('reports missing keys and wrong types with the Python exception text', () => {
    const judge = (json: string): unknown => parseToolCall(`<tool_call>${json}</tool_call>`);
    expect(judge('{"name": "resize_image", "args": {"action": "resize"}}')).toMatchObject({ error: "'arguments'" });
    expect(judge('{"name": "resize_image", "arguments": {"mode": "resize"}}')).toMatchObject({ error: "'action'" });
    expect(judge('{"name": "r", "arguments": "resize", "extra": {}}')).toMatchObject({
      error: "string indices must be integers, not 'str'",
    });
    expect(judge('{"name": "r", "arguments": ["resize"], "extra": {}}')).toMatchObject({
      error: 'list indices must be integers or slices, not str',
    });
    expect(judge('{"name": "r", "arguments": null, "extra": {}}')).toMatchObject({
      error: "'NoneType' object is not subscriptable",
    });
  });

  it('finds no object in JSON spread over several lines, as the original regex does', () => {
    const call = '<tool_call>\n{\n  "name": "resize_image",\n  "arguments": {"action": "resize"}\n}\n</tool_call>';
    expect(parseToolCall(call)).toEqual({ kind: 'invalid', raw: call, error: UNBOUND });
  });

  it('parses only the tail of JSON broken after its first line', () => {
    const call = '<tool_call>\n{"name": "resize_image",\n "arguments": {"action": "resize"}}\n</tool_call>';
    expect(parseToolCall(call)).toMatchObject({ error: 'Extra data: line 1 column 21 (char 20)' });
  });

  it('reports an empty call', () => {
    expect(parseToolCall('<tool_call></tool_call>')).toEqual({
      kind: 'invalid',
      raw: '<tool_call></tool_call>',
      error: UNBOUND,
    });
  });

  it('ignores text after the first "}}", as the lazy regex does', () => {
    const call = '<tool_call>{"name": "resize_image", "arguments": {"action": "resize"}}}</tool_call>';
    expect(parseToolCall(call).kind).toBe('resize');
  });
});

describe('extractAnswer', () => {
  it('returns the text between the tags', () => {
    expect(extractAnswer('<think>hmm</think>\n<answer> \\boxed{B} </answer>')).toBe('\\boxed{B}');
  });

  it('returns the whole text, stripped, when there are no tags', () => {
    expect(extractAnswer('  \n It is blue.\t\n')).toBe('It is blue.');
  });

  it('takes everything after an opening tag that is never closed', () => {
    expect(extractAnswer('<think>x</think><answer> 42')).toBe('42');
  });

  it('takes everything before a closing tag that was never opened', () => {
    expect(extractAnswer('<think>x</think> 42 </answer> trailing')).toBe('<think>x</think> 42');
  });

  it('uses the first closing tag and the last opening tag before it', () => {
    expect(extractAnswer('<answer>a</answer><answer>b</answer>')).toBe('a');
    expect(extractAnswer('<answer>a <answer> b </answer> c')).toBe('b');
  });

  it('returns an empty string for empty or blank answers', () => {
    expect(extractAnswer('')).toBe('');
    expect(extractAnswer('<answer>\n \t</answer>')).toBe('');
  });

  it('strips exactly the characters Python strip() does', () => {
    expect(extractAnswer('<answer>\x0b\x0c\r\x1c\x1f\x85\u00a0\u3000x\u2028 </answer>')).toBe('x');
    // JS trim() would remove the BOM; Python keeps it.
    expect(extractAnswer('<answer>\ufeffx\ufeff</answer>')).toBe('\ufeffx\ufeff');
  });
});
