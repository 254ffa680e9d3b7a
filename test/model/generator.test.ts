import { createHash } from 'node:crypto';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { MODEL_FAMILIES } from '../../scripts/model/family-configs.ts';
import { buildTestModel, type ModelFiles } from '../../scripts/model/test-model.ts';

const bytesOf = (content: Uint8Array | object): Uint8Array =>
  content instanceof Uint8Array ? content : new TextEncoder().encode(JSON.stringify(content));
const digest = (files: ModelFiles): Record<string, string> =>
  Object.fromEntries(
    Object.entries(files).map(([name, content]) => [name, createHash('sha256').update(bytesOf(content)).digest('hex')]),
  );

/** A session's inputs or outputs as `name [dims]`, symbolic dimensions by name. */
function signature(bytes: unknown, side: 'input' | 'output'): string[] {
  const graph = onnxProto.onnx.ModelProto.decode(bytes as Uint8Array).graph;
  return (graph?.[side] ?? []).map((value) => {
    const dims = value.type?.tensorType?.shape?.dim ?? [];
    return `${value.name} [${dims.map((d) => d.dimParam || String(d.dimValue)).join(', ')}]`;
  });
}

describe.each(MODEL_FAMILIES)('the %s test model generator', (family) => {
  const files = buildTestModel({ family });

  it('writes exactly the layout transformers.js loads for a repository of the family', () => {
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
    expect(digest(buildTestModel({ family }))).toEqual(digest(files));
  });

  it('stays tiny (under 2 MB)', () => {
    const total = Object.values(files).reduce((sum, content) => sum + bytesOf(content).length, 0);
    expect(total).toBeLessThan(2 * 1024 * 1024);
  });

  it('declares token ids consistent with its tokenizer', () => {
    const config = files['config.json'] as Record<string, number> & { text_config?: { vocab_size: number } };
    const tokenizer = files['tokenizer.json'] as { added_tokens: { id: number; content: string }[] };
    const idOf = (content: string) => tokenizer.added_tokens.find((t) => t.content === content)?.id;
    expect(config.image_token_id).toBe(idOf('<|image_pad|>'));
    expect(config.video_token_id).toBe(idOf('<|video_pad|>'));
    expect(config.vision_start_token_id).toBe(idOf('<|vision_start|>'));
    expect((config.text_config ?? config).vocab_size).toBe(256 + tokenizer.added_tokens.length);
  });
});

describe('the families differ where transformers.js reads them differently', () => {
  const qwen2 = buildTestModel();
  const qwen3_5 = buildTestModel({ family: 'qwen3_5' });

  it('the default is the Qwen2-VL model', () => {
    expect(digest(qwen2)).toEqual(digest(buildTestModel({ family: 'qwen2_vl' })));
  });

  it('Qwen2-VL: 14-px patches, grid_thw, a KV cache in every layer', () => {
    expect(signature(qwen2['onnx/vision_encoder.onnx'], 'input')).toEqual([
      'pixel_values [num_patches, 1176]',
      'grid_thw [num_images, 3]',
    ]);
    expect(signature(qwen2['onnx/decoder_model_merged.onnx'], 'input').slice(3)).toEqual([
      'past_key_values.0.key [batch_size, 2, past_sequence_length, 32]',
      'past_key_values.0.value [batch_size, 2, past_sequence_length, 32]',
      'past_key_values.1.key [batch_size, 2, past_sequence_length, 32]',
      'past_key_values.1.value [batch_size, 2, past_sequence_length, 32]',
    ]);
  });

  it('Qwen3.5: 16-px patches, image_grid_thw, nested text_config, conv and recurrent states with fixed sizes', () => {
    const config = qwen3_5['config.json'] as {
      model_type: string;
      text_config: { model_type: string; layer_types: string[]; vocab_size: number };
      vision_config: { patch_size: number };
    };
    expect(config.model_type).toBe('qwen3_5');
    expect(config.text_config.model_type).toBe('qwen3_5_text');
    expect(config.text_config.layer_types).toEqual(['linear_attention', 'full_attention']);
    expect(config.vision_config.patch_size).toBe(16);
    expect(qwen3_5['preprocessor_config.json']).toMatchObject({ processor_class: 'Qwen3VLProcessor', patch_size: 16 });
    // 3 channels × 2 frames × 16 × 16 values per patch.
    expect(signature(qwen3_5['onnx/vision_encoder.onnx'], 'input')).toEqual([
      'pixel_values [num_patches, 1536]',
      'image_grid_thw [num_images, 3]',
    ]);
    // Only `batch_size` is filled in for the empty first-round cache: every other dimension of a state is fixed.
    expect(signature(qwen3_5['onnx/decoder_model_merged.onnx'], 'input').slice(3)).toEqual([
      'past_conv.0 [batch_size, 6, 4]',
      'past_recurrent.0 [batch_size, 1, 2, 2]',
      'past_key_values.1.key [batch_size, 2, past_sequence_length, 32]',
      'past_key_values.1.value [batch_size, 2, past_sequence_length, 32]',
    ]);
    expect(signature(qwen3_5['onnx/decoder_model_merged.onnx'], 'output').sort()).toEqual([
      `logits [batch_size, sequence_length, ${config.text_config.vocab_size}]`,
      'present.1.key [batch_size, 2, total_sequence_length, 32]',
      'present.1.value [batch_size, 2, total_sequence_length, 32]',
      'present_conv.0 [batch_size, 6, 4]',
      'present_recurrent.0 [batch_size, 1, 2, 2]',
    ]);
  });
});
