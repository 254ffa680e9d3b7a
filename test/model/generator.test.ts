import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildTestModel, type ModelFiles } from '../../scripts/model/test-model.ts';

const bytesOf = (content: Uint8Array | object): Uint8Array =>
  content instanceof Uint8Array ? content : new TextEncoder().encode(JSON.stringify(content));
const digest = (files: ModelFiles): Record<string, string> =>
  Object.fromEntries(
    Object.entries(files).map(([name, content]) => [name, createHash('sha256').update(bytesOf(content)).digest('hex')]),
  );

describe('the test model generator', () => {
  const files = buildTestModel();

  it('writes exactly the layout transformers.js loads for a Qwen2-VL repository', () => {
    expect(Object.keys(files).sort()).toEqual([
      'config.json',
      'generation_config.json',
      'onnx/decoder_model_merged.onnx',
      'onnx/embed_tokens.onnx',
      'onnx/vision_encoder.onnx',
      'preprocessor_config.json',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
  });

  it('produces the same bytes on every run', () => {
    expect(digest(buildTestModel())).toEqual(digest(files));
  });

  it('stays tiny (under 2 MB)', () => {
    const total = Object.values(files).reduce((sum, content) => sum + bytesOf(content).length, 0);
    expect(total).toBeLessThan(2 * 1024 * 1024);
  });

  it('declares token ids consistent with its tokenizer', () => {
    const config = files['config.json'] as Record<string, number>;
    const tokenizer = files['tokenizer.json'] as { added_tokens: { id: number; content: string }[] };
    const idOf = (content: string) => tokenizer.added_tokens.find((t) => t.content === content)?.id;
    expect(config.image_token_id).toBe(idOf('<|image_pad|>'));
    expect(config.vision_start_token_id).toBe(idOf('<|vision_start|>'));
    expect(config.eos_token_id).toBe(idOf('<|im_end|>'));
    expect(config.vocab_size).toBe(256 + tokenizer.added_tokens.length);
  });
});
