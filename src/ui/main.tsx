import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { engineClient } from '../client/engine-client.ts';
import { createAppStore } from '../state/index.ts';
import { App } from './App.tsx';

const root = document.getElementById('root');
if (root) {
  // Created once, outside React, so that StrictMode's double rendering does not load the model twice.
  const store = createAppStore(engineClient());
  createRoot(root).render(
    <StrictMode>
      <App store={store} />
    </StrictMode>,
  );
}
