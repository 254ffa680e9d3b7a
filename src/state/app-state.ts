/**
 * The shape of the whole store: data per slice plus actions. Each slice lives in its own file;
 * `store.ts` puts them together.
 */
import type { StateCreator, StoreApi } from 'zustand/vanilla';
import type { EngineClient } from '../client/engine-client.ts';
import type { WorkerMessage } from '../protocol/messages.ts';
import type { AppDependencies } from './dependencies.ts';
import type { ConversationSlice } from './conversation-slice.ts';
import type { ErrorSlice } from './error-slice.ts';
import type { EvalSlice } from './eval-slice.ts';
import type { ImageSlice } from './image-slice.ts';
import type { ModelSlice } from './model-slice.ts';
import type { RunSlice } from './run-slice.ts';
import type { SamplesSlice } from './samples-slice.ts';
import type { SessionSlice } from './session-slice.ts';
import type { ServerSlice } from './server-slice.ts';
import type { SettingsSlice } from './settings-slice.ts';
import type { ShareSlice } from './share-slice.ts';
import type { StorageSlice } from './storage-slice.ts';
import type { ViewSlice } from './view-slice.ts';

export interface WorkerMessageSlice {
  /**
   * The single entry for messages from the worker: each message becomes one state change.
   * Messages of a request the store no longer waits for are ignored.
   */
  applyWorkerMessage: (message: WorkerMessage) => void;
}

export type AppState = ModelSlice &
  ImageSlice &
  SamplesSlice &
  SettingsSlice &
  ServerSlice &
  RunSlice &
  ConversationSlice &
  SessionSlice &
  ErrorSlice &
  ShareSlice &
  StorageSlice &
  ViewSlice &
  EvalSlice &
  WorkerMessageSlice;

export type AppStore = StoreApi<AppState>;

/** A slice of the store, built with the engine client and the browser dependencies. */
export type Slice<T> = StateCreator<AppState, [], [], T>;

export interface SliceContext {
  client: EngineClient;
  deps: AppDependencies;
}

/** A message's state change: what to merge into the state, or null to leave it unchanged. */
export type StateChange = Partial<AppState> | null;
