/**
 * What the page says about where images go: nowhere while a model in this browser answers, and
 * the server's address, plainly, while a model server is the source (before connecting too).
 */
import type { ModelSourceView } from '../state/index.ts';

/** The page's privacy line, under its header. */
export function privacyText(source: ModelSourceView): string {
  if (source.kind === 'local') return 'Everything runs in this browser tab: your images never leave your device.';
  const whose = source.fromLink ? 'the model server named in the link you opened' : 'the model server you chose';
  if (source.origin === null) {
    return 'With a model server, your images and questions are sent to that server. Nothing is sent before you connect.';
  }
  if (source.status === 'connected' || source.status === 'connecting') {
    return `Images and questions are sent to ${source.origin} (${whose}).`;
  }
  // Only a server a link just named is sure to have been sent nothing: after a failed or cancelled
  // connect, an earlier connection may have sent it questions.
  const yet = source.fromLink && source.status === 'setup' ? '; none has been sent yet' : '';
  return `Images and questions will be sent to ${source.origin} (${whose}) once you connect${yet}.`;
}

/** Beside Connect: what connecting does. */
export function connectDestinationText(source: ModelSourceView): string {
  if (source.kind === 'local' || source.origin === null) {
    return 'Once connected, your images and questions are sent to the server at this address.';
  }
  const when = source.status === 'connected' ? 'Your' : 'Once connected, your';
  return `${when} images and questions are sent to ${source.origin}; the API key, if any, goes only to that server.`;
}

/** The footer's line on what runs where. */
export function footerText(source: ModelSourceView): string {
  return source.kind === 'local'
    ? 'VisionThink (arXiv 2507.13348), running on transformers.js and ONNX Runtime in your browser.'
    : 'VisionThink (arXiv 2507.13348): the loop runs in your browser, the model on the server you chose.';
}
