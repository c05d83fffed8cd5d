// First steps (issue 13): the default keybindings are the ones README promises and no default
// VS Code binding shares their first chord; the Stanza Inspector tab is seen as open or closed
// (the walkthrough's inspector step and the "open the inspector" hint read it).

import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { inspectorOpen } from '../../../src/sandbox/inspectorTabs';
import { waitFor } from './util';

/** Every "key" → "command" pair of VS Code's Default Keybindings (JSON with comments). */
function bindings(text: string): { key: string; command: string }[] {
  return [...text.matchAll(/\{\s*"key":\s*"([^"]+)",\s*"command":\s*"([^"]+)"/g)].map((m) => ({ key: m[1]!, command: m[2]! }));
}

export function walkthroughTests(): void {
  describe('first steps: keyboard and walkthrough', () => {
    after(async () => {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });

    it('Ctrl+Alt+X S starts and stops the sandbox, Ctrl+Alt+X I opens the inspector, and VS Code uses Ctrl+Alt+X for nothing else', async () => {
      await vscode.commands.executeCommand('workbench.action.openDefaultKeybindingsFile');
      const text = await waitFor('the default keybindings', () => {
        const doc = vscode.window.activeTextEditor?.document;
        return doc && /"key":/.test(doc.getText()) ? doc.getText() : undefined;
      });
      const all = bindings(text);
      assert.ok(all.length > 500, `read ${all.length} default keybindings`);
      const ours = all.filter((b) => /^(ctrl|cmd)\+alt\+x( |$)/.test(b.key));
      assert.deepEqual(
        ours.map((b) => `${b.key} → ${b.command}`).sort(),
        ['ctrl+alt+x i → xmppSandbox.openInspector', 'ctrl+alt+x s → xmppSandbox.start', 'ctrl+alt+x s → xmppSandbox.stop'],
      );
    });

    it('an open Stanza Inspector tab is seen, and so is its closing', async () => {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      assert.equal(inspectorOpen(), false);
      await vscode.commands.executeCommand('xmppSandbox.openInspector');
      await waitFor('the inspector tab', () => inspectorOpen());
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await waitFor('the inspector tab closed', () => !inspectorOpen());
    });
  });
}
