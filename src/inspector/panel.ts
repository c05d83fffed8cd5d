// The one Stanza Inspector panel (createOrShow / revive, as in microsoft/vscode-extension-samples
// webview-sample). Survives reload through a WebviewPanelSerializer (index.ts) rather than
// retainContextWhenHidden: a webview that reloads asks again with 'ready' and the host refills
// it from its bounded history; filters and selection live in the webview's getState().

import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import { INSPECTOR_VIEW_TYPE, type HostMessage } from '../protocol';
import { InspectorController, type InspectorBackend, type InspectorHostServices } from './controller';
import { renderInspectorHtml } from './html';
import { COMMANDS } from '../ids';

let output: vscode.LogOutputChannel | undefined;

/** Disposes the inspector's output channel (registered in context.subscriptions by index.ts). */
export const inspectorLog: vscode.Disposable = { dispose: () => (output?.dispose(), (output = undefined)) };

function log(level: 'info' | 'warn' | 'error', message: string): void {
  output ??= vscode.window.createOutputChannel('XMPP Stanza Inspector', { log: true });
  output[level](message);
}

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    // Only the bundle folder (webview.js, webview.css, the codicon font) and media/.
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}

/** Asks where to save `text` (a time-stamped `prefix-….ext` in the workspace by default) and writes it; null when cancelled. */
async function saveAs(text: string, prefix: string, filter: Record<string, string[]>, saveLabel: string): Promise<vscode.Uri | null> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const name = `${prefix}-${new Date().toISOString().replace(/[:.]/g, '-')}.${Object.values(filter)[0]![0]}`;
  const uri = await vscode.window.showSaveDialog({ defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined, filters: filter, saveLabel });
  if (!uri) return null;
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
  return uri;
}

const services: InspectorHostServices = {
  async saveJsonl(jsonl) {
    const uri = await saveAs(jsonl, 'xmpp-trace', { 'JSON Lines': ['jsonl'] }, 'Export trace');
    if (!uri) return null;
    void vscode.window.showInformationMessage(`Trace exported to ${uri.fsPath}`);
    return uri.fsPath;
  },
  async copy(text) {
    await vscode.env.clipboard.writeText(text);
    void vscode.window.setStatusBarMessage('Stanza XML copied', 2000);
  },
  async saveScenario(scs) {
    const uri = await saveAs(scs, 'recorded', { 'Scenario (Scansion)': ['scs'] }, 'Save scenario');
    if (!uri) return null;
    await vscode.window.showTextDocument(uri);
    return uri.fsPath;
  },
  async startSandbox() {
    await vscode.commands.executeCommand(COMMANDS.start);
  },
  log,
};

export class InspectorPanel {
  private static current: InspectorPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly controller: InspectorController;

  static createOrShow(extensionUri: vscode.Uri, sandbox: InspectorBackend): void {
    const column = vscode.window.activeTextEditor ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active;
    if (InspectorPanel.current) {
      InspectorPanel.current.panel.reveal(column);
      return;
    }
    const panel = vscode.window.createWebviewPanel(INSPECTOR_VIEW_TYPE, 'Stanza Inspector', column, webviewOptions(extensionUri));
    InspectorPanel.current = new InspectorPanel(panel, extensionUri, sandbox);
  }

  /**
   * Opens (or shows) the panel with `text` in its text filter; resolves once the webview has it,
   * with how many trace events of the host's history are of `run` (when given).
   */
  static async showFilter(extensionUri: vscode.Uri, sandbox: InspectorBackend, text: string, run?: string): Promise<{ filter: string; runEvents: number }> {
    InspectorPanel.createOrShow(extensionUri, sandbox);
    const controller = InspectorPanel.current!.controller;
    await controller.attached;
    await controller.setTextFilter(text);
    const runEvents = run === undefined ? 0 : controller.history.all().filter((e) => e.type === 'arrival' && e.run === run).length;
    return { filter: text, runEvents };
  }

  /** Called by the serializer after a reload. */
  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, sandbox: InspectorBackend): void {
    InspectorPanel.current?.dispose();
    panel.webview.options = webviewOptions(extensionUri);
    InspectorPanel.current = new InspectorPanel(panel, extensionUri, sandbox);
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    sandbox: InspectorBackend,
  ) {
    const post = (m: HostMessage): void => void panel.webview.postMessage(m);
    this.controller = new InspectorController(sandbox, services, post);
    const webview = panel.webview;
    // Listen before the page loads, so its first message ('ready') cannot be missed.
    this.disposables.push(
      webview.onDidReceiveMessage((m: unknown) => void this.controller.receive(m)),
      panel.onDidDispose(() => this.dispose()),
    );
    webview.html = renderInspectorHtml({
      cspSource: webview.cspSource,
      nonce: crypto.randomBytes(18).toString('base64'),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview.css')).toString(),
    });
  }

  private disposed = false;

  dispose(): void {
    // panel.dispose() fires onDidDispose, which calls us again.
    if (this.disposed) return;
    this.disposed = true;
    if (InspectorPanel.current === this) InspectorPanel.current = undefined;
    this.controller.dispose();
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
