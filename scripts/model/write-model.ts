/** Writing a generated model's files to a folder, as `from_pretrained` reads them. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelFiles } from './test-model.ts';

const bytesOf = (content: ModelFiles[string]): Uint8Array =>
  content instanceof Uint8Array ? content : new TextEncoder().encode(`${JSON.stringify(content, null, 2)}\n`);

/** Writes the model files into `dir` (created if needed). */
export async function writeModel(dir: string, files: ModelFiles): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, bytesOf(content));
  }
}

/**
 * Writes the files that are missing or differ from what the generator makes now (a model left
 * from an older generator is brought up to date); returns whether it wrote any.
 */
export async function ensureModel(dir: string, files: ModelFiles): Promise<boolean> {
  const stale: ModelFiles = {};
  for (const [name, content] of Object.entries(files)) {
    const current = await readFile(join(dir, name)).catch(() => null);
    if (!current || !Buffer.from(bytesOf(content)).equals(current)) stale[name] = content;
  }
  if (Object.keys(stale).length === 0) return false;
  await writeModel(dir, stale);
  return true;
}
