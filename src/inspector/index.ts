// Entry point of the Stanza Inspector for extension.ts: the command and the serializer.
// package.json declares the command (src/ids.ts) and the activation event
// `onWebviewPanel:xmppSandbox.inspector`, so a panel left open is restored after a reload.

import * as vscode from 'vscode';
import type { ControlApi } from '../../sandbox/control/api';
import { INSPECTOR_VIEW_TYPE } from '../protocol';
import { InspectorPanel, inspectorLog } from './panel';
import { COMMANDS } from '../ids';

export type InspectorSandbox = ControlApi & { readonly running: boolean; onDidChangeRunning: vscode.Event<boolean> };

export function registerInspector(context: vscode.ExtensionContext, sandbox: InspectorSandbox): void {
  context.subscriptions.push(
    inspectorLog,
    vscode.commands.registerCommand(COMMANDS.openInspector, () => InspectorPanel.createOrShow(context.extensionUri, sandbox)),
    // A scenario run's stanzas (the result's Show in Inspector): the inspector filtered to `run:<tag>`.
    vscode.commands.registerCommand(COMMANDS.showRunInInspector, (run: unknown) => {
      if (typeof run !== 'string' || !/^\S+$/.test(run)) throw new Error('Show in Inspector: give the run tag of a scenario run');
      return InspectorPanel.showFilter(context.extensionUri, sandbox, `run:${run}`, run);
    }),
    vscode.window.registerWebviewPanelSerializer(INSPECTOR_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel): Promise<void> {
        InspectorPanel.revive(panel, context.extensionUri, sandbox);
      },
    }),
  );
}
