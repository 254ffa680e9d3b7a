/** What a share link asked for that was ignored, listed as plain text, until dismissed. */
import { useAppStore } from '../state/index.ts';

export function ShareNotice() {
  const ignored = useAppStore((s) => s.share.ignored);
  const dismiss = useAppStore((s) => s.dismissShareNotice);
  if (ignored.length === 0) return null;

  return (
    <div className="notice share-notice" role="status" data-testid="share.notice">
      <p>
        <strong>Parts of the link you opened were ignored:</strong>
      </p>
      <ul>
        {ignored.map((line, index) => (
          <li key={`${index}:${line}`}>{line}</li>
        ))}
      </ul>
      <button type="button" data-testid="share.notice.dismiss" onClick={dismiss}>
        Dismiss
      </button>
    </div>
  );
}
