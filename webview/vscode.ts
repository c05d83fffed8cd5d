// The one handle on the host: acquireVsCodeApi() may be called once per page load.

import type { InspectorViewState, WebviewMessage } from '../src/protocol';

interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): InspectorViewState | undefined;
  setState(state: InspectorViewState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

export const vscode: VsCodeApi = acquireVsCodeApi();
