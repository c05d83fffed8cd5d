// Whether a Stanza Inspector tab is open, read from the editor's tabs (not from the panel's own
// state, so it also holds for a panel restored after a reload): the xmppSandbox.inspectorOpen
// context key (the walkthrough's inspector step completes on it) and the "open the inspector"
// hints, which a person who is already looking at it does not need.

import * as vscode from 'vscode';
import { CONTEXT_KEYS } from '../ids';
import { INSPECTOR_VIEW_TYPE } from '../protocol';

export function inspectorOpen(): boolean {
  // A webview tab's viewType carries a prefix of the workbench's own (e.g. mainThreadWebview-).
  return vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith(INSPECTOR_VIEW_TYPE)));
}

/** Keeps xmppSandbox.inspectorOpen equal to inspectorOpen(). */
export function trackInspectorTab(): vscode.Disposable {
  let last: boolean | undefined;
  const update = () => {
    const open = inspectorOpen();
    if (open === last) return;
    last = open;
    void vscode.commands.executeCommand('setContext', CONTEXT_KEYS.inspectorOpen, open);
  };
  update();
  return vscode.window.tabGroups.onDidChangeTabs(update);
}
