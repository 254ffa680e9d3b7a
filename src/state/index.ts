/** The app state: the store factory, its React hook and the selectors the UI reads. */
export type { AppState, AppStore } from './app-state.ts';
export type { AnswerSegment } from './answer-segments.ts';
export { browserDependencies, type AppDependencies, type ObjectUrls } from './dependencies.ts';
export type { VisibleError } from './error-slice.ts';
export type { ImageOrigin } from './image-slice.ts';
export type { RoundTrace, RunPhase, RunStatus } from './run-slice.ts';
export * from './selectors.ts';
export {
  POLICY_CHOICES,
  selectConfidenceUnavailable,
  selectDefaultPolicyWhy,
  selectPolicy,
  selectPolicyFallback,
  selectThreshold,
} from './settings-slice.ts';
export * from './server-selectors.ts';
export { DEFAULT_MAX_PIXELS, DEFAULT_MIN_PIXELS, type ServerFieldName } from './server-form.ts';
export { retryWaitOf as selectRetryWait } from './error-slice.ts';
export { selectImageStaysLocal, selectShareHash } from './share-slice.ts';
export { selectFirstQuestion, selectFollowUp, type FollowUpView } from './conversation-slice.ts';
export { createAppStore } from './store.ts';
export { AppStoreContext, useAppStore } from './use-app-store.ts';
export { isBundled, SERVER_MODEL_ID, TEST_MODEL_ID } from './model-choices.ts';
export { isStored, type CachedModel } from './storage-slice.ts';
export { APP_VIEWS, type AppView } from './view-slice.ts';
export { EVAL_SIZE_LIMITS, type EvalForm, type EvalRun, type EvalState, type EvalStatus } from './eval-slice.ts';
export {
  describeModel,
  selectEvalHeldResults,
  selectEvalPolicies,
  selectEvalProgress,
  selectEvalReport,
  selectEvalResumeBlocker,
  selectEvalRunBlocker,
  selectLoadedModel,
  type EvalProgress,
} from './eval-selectors.ts';
