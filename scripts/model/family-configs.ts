/**
 * The JSON files of a generated test model, per model family, laid out as the hub repositories of
 * that family are and as transformers.js 4.3.1 reads them: Qwen2-VL keeps the text settings at
 * the top of config.json; Qwen3.5 nests them in `text_config` (with `layer_types`, which decide
 * its cache names) and reads the pixel limits from `size`.
 */

import type { ModelFamily } from '../../src/engine/model-registry.ts';

export { MODEL_FAMILIES, type ModelFamily } from '../../src/engine/model-registry.ts';

/** Image settings that differ between the families. */
export interface FamilyVision {
  patchSize: number;
  imageMean: [number, number, number];
  imageStd: [number, number, number];
  /** Name of the vision encoder's grid input (transformers.js's `image_grid_thw_name`). */
  gridInputName: string;
}

export const FAMILY_VISION: Record<ModelFamily, FamilyVision> = {
  qwen2_vl: {
    patchSize: 14,
    imageMean: [0.48145466, 0.4578275, 0.40821073],
    imageStd: [0.26862954, 0.26130258, 0.27577711],
    gridInputName: 'grid_thw',
  },
  qwen3_5: { patchSize: 16, imageMean: [0.5, 0.5, 0.5], imageStd: [0.5, 0.5, 0.5], gridInputName: 'image_grid_thw' },
};

export interface ConfigParams {
  family: ModelFamily;
  ids: {
    endoftext: number;
    imEnd: number;
    visionStart: number;
    visionEnd: number;
    visionPad: number;
    imagePad: number;
    videoPad: number;
  };
  vocabSize: number;
  hidden: number;
  heads: number;
  headDim: number;
  ropeTheta: number;
  mropeSection: [number, number, number];
  /** One entry per decoder layer, as transformers.js names them. */
  layerTypes: ('full_attention' | 'linear_attention')[];
  linear: { heads: number; keyDim: number; valueDim: number; convKernel: number };
  /** Width of the decoder's MLP (2 when not given). */
  intermediateSize?: number;
  mergeSize: number;
  temporalPatchSize: number;
}

/** `config.json`, `generation_config.json` and `preprocessor_config.json` of the family. */
export function familyConfigs(p: ConfigParams): Record<string, object> {
  const generation = {
    bos_token_id: p.ids.endoftext,
    eos_token_id: [p.ids.imEnd, p.ids.endoftext],
    pad_token_id: p.ids.endoftext,
    do_sample: false,
  };
  return {
    'config.json': p.family === 'qwen2_vl' ? qwen2VlConfig(p) : qwen3_5Config(p),
    'generation_config.json': generation,
    'preprocessor_config.json': preprocessorConfig(p),
  };
}

function qwen2VlConfig(p: ConfigParams): object {
  const { ids } = p;
  return {
    architectures: ['Qwen2VLForConditionalGeneration'],
    model_type: 'qwen2_vl',
    attention_dropout: 0,
    bos_token_id: ids.endoftext,
    eos_token_id: ids.imEnd,
    pad_token_id: ids.endoftext,
    vision_start_token_id: ids.visionStart,
    vision_end_token_id: ids.visionEnd,
    vision_token_id: ids.visionPad,
    image_token_id: ids.imagePad,
    video_token_id: ids.videoPad,
    hidden_act: 'relu',
    hidden_size: p.hidden,
    intermediate_size: p.intermediateSize ?? 2,
    initializer_range: 0.02,
    max_position_embeddings: 32768,
    max_window_layers: p.layerTypes.length,
    num_attention_heads: p.heads,
    num_hidden_layers: p.layerTypes.length,
    num_key_value_heads: p.heads,
    head_dim: p.headDim,
    rms_norm_eps: 1e-6,
    rope_theta: p.ropeTheta,
    rope_scaling: { type: 'mrope', mrope_section: p.mropeSection },
    sliding_window: 32768,
    tie_word_embeddings: false,
    torch_dtype: 'float32',
    use_cache: true,
    use_sliding_window: false,
    vocab_size: p.vocabSize,
    vision_config: {
      depth: 0,
      embed_dim: 6,
      hidden_size: p.hidden,
      hidden_act: 'quick_gelu',
      mlp_ratio: 4,
      num_heads: 1,
      in_chans: 3,
      patch_size: FAMILY_VISION.qwen2_vl.patchSize,
      spatial_merge_size: p.mergeSize,
      temporal_patch_size: p.temporalPatchSize,
    },
    'transformers.js_config': { dtype: 'fp32' },
  };
}

function qwen3_5Config(p: ConfigParams): object {
  const { ids } = p;
  return {
    architectures: ['Qwen3_5ForConditionalGeneration'],
    model_type: 'qwen3_5',
    image_token_id: ids.imagePad,
    video_token_id: ids.videoPad,
    vision_start_token_id: ids.visionStart,
    vision_end_token_id: ids.visionEnd,
    tie_word_embeddings: false,
    text_config: {
      model_type: 'qwen3_5_text',
      bos_token_id: ids.endoftext,
      eos_token_id: ids.imEnd,
      pad_token_id: ids.endoftext,
      hidden_act: 'relu',
      hidden_size: p.hidden,
      intermediate_size: p.intermediateSize ?? 2,
      max_position_embeddings: 32768,
      num_hidden_layers: p.layerTypes.length,
      layer_types: p.layerTypes,
      full_attention_interval: 2,
      num_attention_heads: p.heads,
      num_key_value_heads: p.heads,
      head_dim: p.headDim,
      linear_conv_kernel_dim: p.linear.convKernel,
      linear_num_key_heads: p.linear.heads,
      linear_num_value_heads: p.linear.heads,
      linear_key_head_dim: p.linear.keyDim,
      linear_value_head_dim: p.linear.valueDim,
      rms_norm_eps: 1e-6,
      rope_parameters: {
        rope_type: 'default',
        rope_theta: p.ropeTheta,
        mrope_section: p.mropeSection,
        mrope_interleaved: false,
        partial_rotary_factor: 1,
      },
      tie_word_embeddings: false,
      use_cache: true,
      vocab_size: p.vocabSize,
    },
    vision_config: {
      model_type: 'qwen3_5',
      depth: 0,
      hidden_size: 6,
      out_hidden_size: p.hidden,
      num_heads: 1,
      in_channels: 3,
      patch_size: FAMILY_VISION.qwen3_5.patchSize,
      spatial_merge_size: p.mergeSize,
      temporal_patch_size: p.temporalPatchSize,
      deepstack_visual_indexes: [],
    },
    'transformers.js_config': { dtype: 'fp32' },
  };
}

function preprocessorConfig(p: ConfigParams): object {
  const { patchSize, imageMean, imageStd } = FAMILY_VISION[p.family];
  // Four visual tokens at least, 1280 at most, in either family.
  const tokenPixels = (patchSize * p.mergeSize) ** 2;
  const common = {
    do_resize: true,
    do_rescale: true,
    rescale_factor: 1 / 255,
    do_normalize: true,
    do_convert_rgb: true,
    image_mean: imageMean,
    image_std: imageStd,
    resample: 3,
  };
  const geometry = { patch_size: patchSize, temporal_patch_size: p.temporalPatchSize, merge_size: p.mergeSize };
  if (p.family === 'qwen2_vl') {
    return {
      processor_class: 'Qwen2VLProcessor',
      image_processor_type: 'Qwen2VLImageProcessor',
      ...common,
      min_pixels: tokenPixels * 4,
      max_pixels: tokenPixels * 1280,
      size: { shortest_edge: tokenPixels * 4, longest_edge: tokenPixels * 1280 },
      ...geometry,
    };
  }
  // Qwen3.5 repositories name the Qwen3-VL processor and give the limits only in `size`.
  return {
    processor_class: 'Qwen3VLProcessor',
    image_processor_type: 'Qwen2VLImageProcessorFast',
    ...common,
    size: { shortest_edge: tokenPixels * 4, longest_edge: tokenPixels * 1280 },
    ...geometry,
  };
}
