/**
 * While the model server is chosen but not connected (first chosen, opened from a link, or
 * cancelled): where images would go, and Connect. Connecting is always the person's act: a link
 * or a choice in the list sends nothing by itself.
 */
import { selectModelSource, useAppStore } from '../state/index.ts';

export function ServerConnectCard() {
  const source = useAppStore(selectModelSource);
  const connect = useAppStore((s) => s.connectServer);
  const openSettings = useAppStore((s) => s.openServerSettings);
  const useOfflineModel = useAppStore((s) => s.useOfflineModel);
  if (source.kind !== 'server' || (source.status !== 'setup' && source.status !== 'cancelled')) return null;
  const ready = source.origin !== null && source.model !== null;
  const heading =
    source.status === 'cancelled'
      ? `Connecting to ${source.host ?? 'the server'} was cancelled`
      : source.fromLink
        ? 'Connect to the model server in the link?'
        : ready
          ? `Connect to ${source.model ?? 'the model'} at ${source.host ?? 'the server'}?`
          : 'Connect to a model server';

  return (
    <section
      className="download-card"
      aria-labelledby="server-prompt-heading"
      data-testid="server.prompt"
      data-status={source.status}
    >
      <h2 id="server-prompt-heading" className="small-heading">
        {heading}
      </h2>
      {ready ? (
        <p>
          {source.fromLink ? 'The link you opened uses ' : 'Answers would come from '}
          <strong>{source.model}</strong> on <strong data-testid="server.prompt.origin">{source.origin}</strong>.
          Connecting sends that server the images and questions you ask; nothing has been sent to it yet.
        </p>
      ) : (
        <p>
          Enter the server’s address and model in Settings, then connect. Nothing is sent to a server before you
          connect.
        </p>
      )}
      <div className="inline-row">
        {ready && (
          <button type="button" className="primary" data-testid="server.prompt.connect" onClick={connect}>
            {source.status === 'cancelled' ? 'Connect again' : 'Connect'}
          </button>
        )}
        <button
          type="button"
          data-testid="server.prompt.settings"
          onClick={() => {
            openSettings(source.origin !== null && source.model === null ? 'model' : 'url');
          }}
        >
          Server settings
        </button>
        <button type="button" data-testid="server.prompt.offline" onClick={useOfflineModel}>
          Use the offline test model instead
        </button>
      </div>
    </section>
  );
}
