import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { engineClient } from '../client/engine-client.ts';
import { createAppStore } from '../state/index.ts';
import { App } from './App.tsx';

declare global {
  interface Window {
    /**
     * Set by the inline script in index.html (see vite.config.ts): settles once the page will
     * not reload for cross-origin isolation any more.
     */
    __isolationSettled?: Promise<string>;
  }
}

const root = document.getElementById('root');
if (root) {
  // On a first visit the page reloads once or twice for cross-origin isolation: until that is
  // over it shows "Getting the page ready", so nothing the person drops or types is lost, and no
  // model starts loading only to be thrown away.
  void (window.__isolationSettled ?? Promise.resolve('unknown')).then(() => {
    // Created once, outside React, so that StrictMode's double rendering does not load the model twice.
    const store = createAppStore(engineClient());
    createRoot(root).render(
      <StrictMode>
        <App store={store} />
      </StrictMode>,
    );
  });
}
