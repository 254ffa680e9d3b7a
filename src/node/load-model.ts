/**
 * Loading a model in Node: a local folder (default: the generated test model) or a hub
 * repository id, on onnxruntime-node's CPU device.
 */
import { stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { LogLevel, env } from '@huggingface/transformers';
import { ModelLoadError } from '../engine/errors.ts';
import { findModel, loadPlan } from '../engine/model-registry.ts';
import { VisionModel } from '../engine/vision-model.ts';
import { MODELS_DIR, TEST_MODEL_DIR } from './paths.ts';

const HUB_ID = /^[\w.-]+\/[\w.-]+$/;

/** Library warnings go to the console; a CLI reports errors itself, in one line. */
export function quietLibraryLogs(): void {
  env.logLevel = LogLevel.NONE;
}

/**
 * Loads `model` on the CPU: a model id of the app's registry (with the precision it loads on the
 * CPU), a folder path or a hub id; the generated test model when omitted.
 */
export async function loadModelForNode(model: string = TEST_MODEL_DIR): Promise<VisionModel> {
  const entry = findModel(model);
  if (entry) {
    const plan = loadPlan(entry, 'wasm');
    const source = plan.bundled ? join(MODELS_DIR, plan.source) : plan.source;
    return VisionModel.load(source, { ...plan.options, device: 'cpu' });
  }
  const folder = isAbsolute(model) ? model : resolve(model);
  const isFolder = await stat(folder).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (isFolder) return VisionModel.load(folder, { device: 'cpu', localFilesOnly: true });
  if (!HUB_ID.test(model) || model.startsWith('.')) {
    throw new ModelLoadError(
      'model-missing',
      model === TEST_MODEL_DIR
        ? `The test model has not been generated yet: run "npm run model:test" first.`
        : `There is no model folder at ${folder}, and "${model}" is not a hub repository id (owner/name).`,
    );
  }
  return VisionModel.load(model, { device: 'cpu' });
}
