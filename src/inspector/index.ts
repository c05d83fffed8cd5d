// Entry point of the Stanza Inspector for extension.ts: the command and the serializer.
// package.json (extension engineer) declares the command `xmppSandbox.openInspector` and
// should list the activation event `onWebviewPanel:xmppSandbox.inspector` so a panel left
// open is restored after a reload.

import * as vscode from 'vscode';
import type { ControlApi } from '../../sandbox/control/api';
import { INSPECTOR_VIEW_TYPE } from '../protocol';
import { InspectorPanel, inspectorLog } from './panel';

export type InspectorSandbox = ControlApi & { readonly running: boolean; onDidChangeRunning: vscode.Event<boolean> };

export const OPEN_INSPECTOR_COMMAND = 'xmppSandbox.openInspector';

export function registerInspector(context: vscode.ExtensionContext, sandbox: InspectorSandbox): void {
  context.subscriptions.push(
    inspectorLog,
    vscode.commands.registerCommand(OPEN_INSPECTOR_COMMAND, () => InspectorPanel.createOrShow(context.extensionUri, sandbox)),
    vscode.window.registerWebviewPanelSerializer(INSPECTOR_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel): Promise<void> {
        InspectorPanel.revive(panel, context.extensionUri, sandbox);
      },
    }),
  );
}
