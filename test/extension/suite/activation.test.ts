import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, EXTENSION_ID } from './util';

export function activationTests(): void {
  describe('activation', () => {
    it('activates and returns its API without starting the sandbox', async () => {
      const ext = vscode.extensions.getExtension(EXTENSION_ID);
      assert.ok(ext, 'extension is present');
      const a = await api();
      assert.equal(ext.isActive, true);
      assert.equal(a.sandbox.state, 'stopped');
      assert.equal(a.sandbox.pid, undefined, 'no child process before Start');
      assert.equal(a.liveResources(), 0);
    });

    it('registers every contributed command', async () => {
      const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
      const contributed = (ext.packageJSON.contributes.commands as { command: string }[]).map((c) => c.command);
      assert.ok(contributed.length >= 7);
      const registered = new Set(await vscode.commands.getCommands(true));
      const missing = contributed.filter((c) => !registered.has(c));
      assert.deepEqual(missing, []);
      for (const id of ['xmppSandbox.start', 'xmppSandbox.stop', 'xmppSandbox.restart', 'xmppSandbox.showLog', 'xmppSandbox.copyConnectionSettings', 'xmppSandbox.resetData', 'xmppSandbox.openInspector']) {
        assert.ok(contributed.includes(id), `${id} is contributed`);
      }
    });

    it('every command the walkthrough and the welcome view link to exists', async () => {
      const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
      const c = ext.packageJSON.contributes;
      const texts: string[] = [
        ...(c.walkthroughs as { steps: { description: string }[] }[]).flatMap((w) => w.steps.map((s) => s.description)),
        ...(c.viewsWelcome as { contents: string }[]).map((v) => v.contents),
      ];
      const linked = texts.flatMap((t) => [...t.matchAll(/\(command:([\w.]+)/g)].map((m) => m[1]!));
      assert.ok(linked.includes('xmppSandbox.start') && linked.includes('xmppSandbox.openInspector'));
      const registered = new Set(await vscode.commands.getCommands(true));
      assert.deepEqual(linked.filter((id) => !registered.has(id)), []);
      const steps = (c.walkthroughs as { steps: { id: string }[] }[])[0]!.steps.map((s) => s.id);
      assert.deepEqual(steps, ['start', 'inspector', 'firstStanza', 'worker']);
    });

    it('shows the stopped state in the status bar and an empty tree (the welcome view)', async () => {
      const a = await api();
      assert.match(a.statusBar.item.text, /XMPP: stopped/);
      assert.equal(a.statusBar.item.command, 'xmppSandbox.showActions');
      assert.deepEqual(a.tree.getChildren(), []);
    });

    it('the extension bundle holds no sandbox code (the sandbox runs in the child)', async () => {
      const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
      const bundle = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(ext.extensionUri, 'dist', 'extension.js'));
      const text = Buffer.from(bundle).toString('utf8');
      // Strings that only the sandbox's servers contain.
      assert.doesNotMatch(text, /urn:ietf:params:xml:ns:xmpp-sasl|SCRAM-SHA-1|createQueueServer/);
    });
  });
}
