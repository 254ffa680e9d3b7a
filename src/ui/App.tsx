/**
 * The page: choose an image, ask, and watch the model decide whether it needs the full image,
 * with the visual tokens it costs; or evaluate the policies on a dataset (the Evaluate tab).
 * Components read the store; none of them talks to the worker.
 */
import type { AppStore } from '../state/index.ts';
import { AppStoreContext, selectModelSource, useAppStore } from '../state/index.ts';
import { AnswerView } from './AnswerView.tsx';
import { ConversationTotals } from './ConversationTotals.tsx';
import { ConversationView } from './ConversationView.tsx';
import { DeviceBadge } from './DeviceBadge.tsx';
import { EvaluateView } from './EvaluateView.tsx';
import { ErrorBanner } from './ErrorBanner.tsx';
import { FallbackNotice } from './FallbackNotice.tsx';
import { ImageFilePicker } from './ImageFilePicker.tsx';
import { ImagePreview } from './ImagePreview.tsx';
import { ImageUrlField } from './ImageUrlField.tsx';
import { ModelDownloadCard } from './ModelDownloadCard.tsx';
import { ModelLoadProgress } from './ModelLoadProgress.tsx';
import { PageDropTarget } from './PageDropTarget.tsx';
import { PrivacyNotice } from './PrivacyNotice.tsx';
import { QuestionBox } from './QuestionBox.tsx';
import { RunTrace } from './RunTrace.tsx';
import { SampleGallery } from './SampleGallery.tsx';
import { ServerConnectCard } from './ServerConnectCard.tsx';
import { SessionTotals } from './SessionTotals.tsx';
import { SettingsPanel } from './SettingsPanel.tsx';
import { StoragePanel } from './StoragePanel.tsx';
import { ShareNotice } from './ShareNotice.tsx';
import { SuggestedQuestions } from './SuggestedQuestions.tsx';
import { TokenMeter } from './TokenMeter.tsx';
import { ViewPanel, ViewTabs } from './ViewTabs.tsx';
import './base.css';
import './image-input.css';
import './run.css';
import './status.css';
import './server.css';
import './views.css';
import { footerText } from './privacy-copy.ts';

/** What runs where, in the footer. */
function Footer() {
  const source = useAppStore(selectModelSource);
  return <footer className="muted">{footerText(source)}</footer>;
}

export function App({ store }: { store: AppStore }) {
  return (
    <AppStoreContext value={store}>
      <PageDropTarget>
        <div className="app">
          <header className="app-header">
            <div>
              <h1>VisionThink Web</h1>
              <p className="tagline">
                The model first looks at your image at half its width and height — a quarter of the visual tokens — and
                asks for the full image only when it needs the detail.
              </p>
            </div>
            <DeviceBadge />
          </header>
          <PrivacyNotice />
          <ErrorBanner />
          <FallbackNotice />
          <ShareNotice />
          <ModelDownloadCard />
          <ServerConnectCard />
          <ModelLoadProgress />
          <ViewTabs />
          <ViewPanel view="ask">
            <main className="layout">
              <section className="panel" aria-labelledby="image-heading">
                <h2 id="image-heading">Image</h2>
                <ImageFilePicker />
                <ImageUrlField />
                <ImagePreview />
                <SampleGallery />
              </section>
              <section className="panel" aria-labelledby="ask-heading">
                <h2 id="ask-heading">Ask</h2>
                <QuestionBox />
                <SuggestedQuestions />
                <ConversationView />
                <AnswerView />
                <RunTrace />
              </section>
              <aside className="panel side" aria-label="Tokens and settings">
                <TokenMeter />
                <ConversationTotals />
                <SessionTotals />
                <SettingsPanel />
                <StoragePanel />
              </aside>
            </main>
          </ViewPanel>
          <ViewPanel view="evaluate">
            <EvaluateView />
          </ViewPanel>
          <Footer />
        </div>
      </PageDropTarget>
    </AppStoreContext>
  );
}
