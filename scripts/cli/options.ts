/**
 * Options the command-line tools share (`npm run ask`, `npm run eval`): a server given with
 * `--endpoint`, whole-number options, and which errors are the person's input (exit 2).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { checkThreshold } from '../../src/engine/confidence.ts';
import { InvalidRequestError } from '../../src/engine/errors.ts';
import {
  QWEN2_5_VL_MAX_PIXELS,
  QWEN2_5_VL_MIN_PIXELS,
  type ServerSettings,
} from '../../src/engine/server/server-backend.ts';

/** Errors caused by what the person typed or pointed at (exit 2), as opposed to our own failures. */
export const INPUT_ERRORS: ReadonlySet<string> = new Set([
  'invalid-image',
  'image-too-small',
  'image-too-large',
  'aspect-ratio',
  'empty-question',
  'invalid-option',
  'model-missing',
  'model-invalid',
]);

/** A whole number option of at least `min`, or a readable error. */
export function wholeNumber(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min) {
    throw new InvalidRequestError(
      'invalid-option',
      `--${name} must be a whole number of at least ${min}, not "${value}".`,
    );
  }
  return n;
}

/** The server of `--endpoint`: its model, the key from the environment variable named, its pixel limits. */
export function serverSettings(values: {
  endpoint?: string;
  model?: string;
  'api-key-env'?: string;
  'min-pixels'?: string;
  'max-pixels'?: string;
}): ServerSettings {
  const baseUrl = values.endpoint ?? '';
  if (!/^https?:\/\/[^\s/]+/.test(baseUrl)) {
    throw new InvalidRequestError(
      'invalid-option',
      `--endpoint must be an http or https address such as http://localhost:8000/v1, not "${baseUrl}".`,
    );
  }
  if (!values.model) {
    throw new InvalidRequestError(
      'invalid-option',
      '--endpoint needs --model: the model name the server serves (e.g. Senqiao/VisionThink-Efficient).',
    );
  }
  let apiKey: string | undefined;
  const variable = values['api-key-env'];
  if (variable !== undefined) {
    apiKey = process.env[variable];
    // The key itself is never printed, only the variable's name.
    if (!apiKey) throw new InvalidRequestError('invalid-option', `--api-key-env names ${variable}, which is not set.`);
  }
  const minPixels = wholeNumber('min-pixels', values['min-pixels'], QWEN2_5_VL_MIN_PIXELS, 784);
  const maxPixels = wholeNumber('max-pixels', values['max-pixels'], QWEN2_5_VL_MAX_PIXELS, minPixels);
  return { baseUrl, model: values.model, ...(apiKey ? { apiKey } : {}), minPixels, maxPixels };
}

/** The options `serverSettings` reads, for `parseArgs`. */
export const SERVER_OPTIONS = {
  model: { type: 'string' },
  endpoint: { type: 'string' },
  'api-key-env': { type: 'string' },
  'min-pixels': { type: 'string' },
  'max-pixels': { type: 'string' },
} as const;

type Options = NonNullable<ParseArgsConfig['options']>;
type Config<T extends Options> = {
  options: T & { help: { type: 'boolean'; default: false } };
  strict: true;
  allowPositionals: false;
};

/**
 * The command line's options by `options` (plus `--help`, which prints `help()` and exits), with
 * a readable error that ends with the usage line for anything else.
 */
export function parseCommandOptions<T extends Options>(
  options: T,
  usage: string,
  help: () => string,
): ReturnType<typeof parseArgs<Config<T>>>['values'] {
  const config: Config<T> = {
    options: { ...options, help: { type: 'boolean', default: false } },
    strict: true,
    allowPositionals: false,
  };
  let parsed: ReturnType<typeof parseArgs<Config<T>>>;
  try {
    parsed = parseArgs(config);
  } catch (error) {
    throw new InvalidRequestError('invalid-option', `${(error as Error).message}. ${usage}`);
  }
  if ((parsed.values as { help?: boolean }).help === true) {
    process.stdout.write(help());
    process.exit(0);
  }
  return parsed.values;
}

/** `--threshold`'s value: a number from 0 to 1, or `fallback` when not given. */
export function thresholdOption<T extends number | undefined>(value: string | undefined, fallback: T): number | T {
  if (value === undefined) return fallback;
  const threshold = Number(value);
  if (value.trim() === '' || Number.isNaN(threshold)) {
    throw new InvalidRequestError('invalid-option', `--threshold must be a number from 0 to 1, not "${value}".`);
  }
  return checkThreshold(threshold);
}
