/**
 * The Share panel: a link to this page with the current settings, question and image, built when
 * it is shown. A file from this device is never put into a link; the panel says so.
 */
import { useId, useRef, useState } from 'react';
import {
  selectFirstQuestion,
  selectImageStaysLocal,
  selectModelSource,
  selectShareHash,
  useAppStore,
} from '../state/index.ts';

export function ShareDialog({ onClose }: { onClose: () => void }) {
  const hash = useAppStore(selectShareHash);
  const staysLocal = useAppStore(selectImageStaysLocal);
  const hasImage = useAppStore((s) => s.image.current !== null);
  const inConversation = useAppStore((s) => selectFirstQuestion(s) !== null);
  const server = useAppStore((s) => selectModelSource(s).kind === 'server');
  // "Copied" belongs to the link that was copied; a changed link has to be copied again.
  const [copied, setCopied] = useState<{ link: string; ok: boolean } | null>(null);
  const field = useRef<HTMLInputElement>(null);
  const titleId = useId();
  const fieldId = useId();
  const link = `${location.href.split('#')[0] ?? ''}${hash}`;

  const copy = (): void => {
    field.current?.select();
    // Absent outside secure contexts (plain http on another host), whatever the types say.
    const clipboard = navigator.clipboard as Clipboard | undefined;
    if (!clipboard) {
      setCopied({ link, ok: false });
      return;
    }
    clipboard.writeText(link).then(
      () => {
        setCopied({ link, ok: true });
      },
      () => {
        setCopied({ link, ok: false });
      },
    );
  };
  const status = copied?.link === link ? (copied.ok ? 'Copied' : 'Select the link and copy it yourself.') : null;

  return (
    <div className="share-dialog" role="dialog" aria-labelledby={titleId} data-testid="share.dialog">
      <h3 id={titleId}>Share these settings</h3>
      <label htmlFor={fieldId}>Link</label>
      <div className="inline-row">
        <input
          id={fieldId}
          ref={field}
          type="text"
          readOnly
          value={link}
          data-testid="share.link"
          onFocus={(event) => {
            event.target.select();
          }}
        />
        <button type="button" className="primary" data-testid="share.copy" onClick={copy}>
          Copy
        </button>
        <button type="button" data-testid="share.close" onClick={onClose}>
          Close
        </button>
      </div>
      <p className="muted" role="status" data-testid="share.status">
        {status}
      </p>
      {inConversation && (
        <p className="muted" data-testid="share.first-question">
          The link carries the conversation’s first question only: follow-ups are not in it.
        </p>
      )}
      {staysLocal ? (
        <p className="notice" data-testid="share.local">
          {server
            ? 'Your image is a file on this device, so the link cannot carry it: it carries the settings and the question only, and whoever opens it drops their own image.'
            : 'Your image is a file on this device, so it stays on your device: the link carries the settings and the question only, and whoever opens it drops their own image.'}
        </p>
      ) : (
        <p className="muted">
          {hasImage
            ? 'The link carries the model, the settings, the question and the image. Opening it runs nothing until Ask is pressed.'
            : 'No image is chosen: the link carries the model, the settings and the question.'}
        </p>
      )}
      {server && (
        <p className="muted" data-testid="share.server">
          Of the model server it carries the address and the model name, never the API key; whoever opens the link
          connects only when they press Connect.
        </p>
      )}
    </div>
  );
}
