/** Writing a generated model's files to a folder, as `from_pretrained` reads them. */
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelFiles } from './test-model.ts';

/** Writes the model files into `dir` (created if needed). */
export async function writeModel(dir: string, files: ModelFiles): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, content instanceof Uint8Array ? content : `${JSON.stringify(content, null, 2)}\n`);
  }
}

/** Writes the model only when a file is missing; returns whether it wrote. */
export async function ensureModel(dir: string, files: ModelFiles): Promise<boolean> {
  const present = await Promise.all(
    Object.keys(files).map((name) =>
      access(join(dir, name)).then(
        () => true,
        () => false,
      ),
    ),
  );
  if (present.every(Boolean)) return false;
  await writeModel(dir, files);
  return true;
}
