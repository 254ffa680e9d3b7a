/** Where images go: nowhere, or the model server's address, said plainly. */
import { selectModelSource, useAppStore } from '../state/index.ts';
import { privacyText } from './privacy-copy.ts';

export function PrivacyNotice() {
  const source = useAppStore(selectModelSource);
  return (
    <p
      className={source.kind === 'server' ? 'privacy privacy-server' : 'privacy'}
      data-testid="privacy.notice"
      data-source={source.kind}
    >
      {privacyText(source)}
    </p>
  );
}
