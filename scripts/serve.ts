/**
 * `npm run serve -- [--port N] [--host ADDRESS] [--model ID|FOLDER] [--served-model-name NAME]
 *   [--api-key KEY] [--allowed-origins JSON] [--max-model-len N] [--max-body-bytes N]
 *   [--no-logprobs] [--no-cached-tokens] [--no-enable-prefix-caching]`
 *
 * The VisionThink peer: a generated test model behind an OpenAI-compatible API that answers as
 * vLLM's OpenAI server does, for tests and development of the server backend (see
 * src/node/openai-peer/). Prints one line when it is ready; `--help` explains every option and the
 * test controls. Bad options: exit code 2 and one line on stderr; a model or port that cannot be
 * used: exit code 1.
 */
import { quietLibraryLogs } from '../src/node/load-model.ts';
import { CommandLineError, parseServeArgs, serveHelp } from '../src/node/openai-peer/cli-options.ts';
import { startPeer } from '../src/node/openai-peer/server.ts';

let options;
try {
  options = parseServeArgs(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${(error as CommandLineError).message}\n`);
  process.exit(2);
}
if (options === null) {
  process.stdout.write(serveHelp());
  process.exit(0);
}

quietLibraryLogs();
try {
  const peer = await startPeer(options);
  process.stdout.write(`VisionThink peer: serving ${peer.servedModelName} at ${peer.url}\n`);
  // The app counts visual tokens with the pixel limits it is given: these are the peer's.
  const { minPixels, maxPixels } = peer.model.geometry;
  process.stdout.write(
    `Its image processor keeps images within ${minPixels}–${maxPixels} pixels: set the app's pixel limits to these.\n`,
  );
  const stop = (): void => {
    peer.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
