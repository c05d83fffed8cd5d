// Errors with a way out (issue 13): a bad setting is refused before Restart stops anything,
// named as the setting with Open Settings; plugin load errors in the Problems panel at
// file:line, cleared when fixed; "Use a Free Port" for this run only or saved, and says which.

import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { SandboxStatus } from '../../../sandbox/control/api';
import type { Report } from '../../../src/sandbox/controller';
import { api, FREE_PORTS, setSettings, takenPort, waitFor } from './util';

const start = () => vscode.commands.executeCommand<SandboxStatus | undefined>('xmppSandbox.start', { notify: false });

/** The plugin diagnostics VS Code holds for a file or folder (what the Problems panel lists). */
function problemsOf(path: string): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(vscode.Uri.file(path)).filter((d) => d.source === 'XMPP Sandbox');
}

/** Waits until `path` has plugin problems, and returns them. */
function problemsAt(path: string): Promise<vscode.Diagnostic[]> {
  return waitFor(`a problem at ${path}`, () => (problemsOf(path).length ? problemsOf(path) : undefined));
}

export function errorTests(): void {
  describe('errors with a way out', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'xmpp-sandbox-suite-'));

    before(async () => {
      await setSettings({ ...FREE_PORTS, domain: 'errors.test', dataDirectory: dataDir, pluginFolder: '' });
    });

    after(async () => {
      await vscode.commands.executeCommand('xmppSandbox.stop');
      await setSettings({ 'ports.queue': 0, 'ports.c2s': 0, pluginFolder: '' });
    });

    it('a port out of range: Restart keeps the running sandbox and names xmppSandbox.ports.queue, with Open Settings', async () => {
      const a = await api();
      assert.ok((await start())?.endpoints, a.controller.lastReport?.message);
      const pid = a.sandbox.pid;
      await setSettings({ 'ports.queue': 70000 });
      const restarted = await vscode.commands.executeCommand<SandboxStatus | undefined>('xmppSandbox.restart', { notify: false });
      assert.equal(restarted, undefined);
      assert.equal(a.sandbox.state, 'running', 'the working sandbox was not stopped');
      assert.equal(a.sandbox.pid, pid);
      assert.deepEqual(a.controller.lastReport, {
        severity: 'error',
        message: 'xmppSandbox.ports.queue is 70000: it must be at most 65535. The running sandbox was left running.',
        actions: ['Open Settings'],
      } satisfies Report);
      await vscode.commands.executeCommand('xmppSandbox.stop');
      // Start says the same, and starts nothing.
      assert.equal(await start(), undefined);
      assert.equal(a.sandbox.state, 'stopped');
      assert.equal(a.controller.lastReport?.message, 'xmppSandbox.ports.queue is 70000: it must be at most 65535. The XMPP sandbox did not start.');
      assert.equal(a.liveResources(), 0);
      await setSettings({ 'ports.queue': 0 });
    });

    it('a plugin folder that does not exist is a problem on the folder; a broken plugin one at its file and line; fixed ones go away', async () => {
      const a = await api();
      const missing = join(dataDir, 'no-such-plugins');
      await setSettings({ pluginFolder: missing });
      assert.ok((await start())?.endpoints, a.controller.lastReport?.message);
      const [folderProblem] = await problemsAt(missing);
      assert.match(folderProblem!.message, /cannot read plugin folder: ENOENT/);
      assert.equal(folderProblem!.severity, vscode.DiagnosticSeverity.Error);

      const dir = join(dataDir, 'plugins');
      mkdirSync(dir, { recursive: true });
      const syntax = join(dir, 'syntax.js');
      const throws = join(dir, 'throws.mjs');
      const good = join(dir, 'good.js');
      writeFileSync(syntax, "// a plugin with a typo\nmodule.exports = {\n  id: 'typo',,\n};\n");
      writeFileSync(throws, "export default { id: 'boom' };\n\nthrow new Error('boom at load');\n");
      writeFileSync(good, "module.exports = { id: 'good', preProcess: () => false };\n");
      await setSettings({ pluginFolder: dir });
      assert.ok((await a.controller.restart({ notify: false }))?.endpoints, a.controller.lastReport?.message);
      await waitFor('the folder problem cleared', () => problemsOf(missing).length === 0);
      const [s] = await problemsAt(syntax);
      assert.equal(s!.range.start.line, 2, `line 3 of syntax.js: ${s!.message}`);
      assert.match(s!.message, /^Plugin failed to load: .*Unexpected token/);
      const [t] = await problemsAt(throws);
      assert.equal(t!.range.start.line, 2, `line 3 of throws.mjs: ${t!.message}`);
      assert.equal(t!.message, 'Plugin failed to load: boom at load');
      assert.deepEqual(problemsOf(good), []);
      assert.ok(a.model.snapshot.plugins.some((p) => p.id === 'good') || (await a.sandbox.call('plugins.list', {})).some((p) => p.id === 'good'));

      // Fixed in the editor and saved: its problem goes as it is saved (the plugins reload).
      const doc = await vscode.workspace.openTextDocument(syntax);
      const editor = await vscode.window.showTextDocument(doc);
      await editor.edit((e) => e.replace(new vscode.Range(2, 0, 2, doc.lineAt(2).text.length), "  id: 'typo',"));
      assert.ok(await doc.save());
      await waitFor('the syntax problem cleared on save', () => problemsOf(syntax).length === 0);
      assert.equal(problemsOf(throws).length, 1, 'the other file still has its problem');
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      // Fixed outside the editor, then Reload Pipeline Plugins: the rest go.
      writeFileSync(throws, "export default { id: 'boom' };\n");
      const r = await vscode.commands.executeCommand<{ loaded: string[]; errors: unknown[] }>('xmppSandbox.reloadPlugins');
      assert.deepEqual(r.errors, []);
      await waitFor('the plugin problems cleared', () => problemsOf(syntax).length + problemsOf(throws).length === 0);
      await vscode.commands.executeCommand('xmppSandbox.stop');
      await setSettings({ pluginFolder: '' });
    });

    it('Use a Free Port, this run only: starts elsewhere, leaves the setting, and says so; saved: writes 0 and says so', async () => {
      const a = await api();
      const blocker = await takenPort();
      const port = blocker.port;
      try {
        await setSettings({ 'ports.c2s': port });
        assert.equal(await start(), undefined);
        assert.deepEqual(a.controller.lastReport?.actions, ['Use a Free Port', 'Open Settings']);

        const once = await a.controller.useFreePort('xmppSandbox.ports.c2s', 'run');
        assert.ok(once?.endpoints, a.controller.lastReport?.message);
        assert.notEqual(new URL(once.endpoints.c2s).port, String(port));
        assert.equal(vscode.workspace.getConfiguration('xmppSandbox').inspect('ports.c2s')?.workspaceValue, port, 'the setting is unchanged');
        assert.match(a.controller.lastReport?.message ?? '', new RegExp(`^XMPP sandbox running on a free port \\(${once.endpoints.c2s}, .*\\), for this run only: xmppSandbox\\.ports\\.c2s still says ${port}\\.$`));
        await vscode.commands.executeCommand('xmppSandbox.stop');
        // Only that run: the next start reads the setting again.
        assert.equal(await start(), undefined);
        assert.match(a.controller.lastReport?.message ?? '', new RegExp(`^Port ${port} is already in use`));

        const saved = await a.controller.useFreePort('xmppSandbox.ports.c2s', 'save');
        assert.ok(saved?.endpoints, a.controller.lastReport?.message);
        assert.equal(vscode.workspace.getConfiguration('xmppSandbox').inspect('ports.c2s')?.workspaceValue, 0);
        assert.match(a.controller.lastReport?.message ?? '', /saved: xmppSandbox\.ports\.c2s is now 0 in your workspace settings, so every start picks a free port\.$/);
        await vscode.commands.executeCommand('xmppSandbox.stop');
      } finally {
        blocker.close();
        await setSettings({ 'ports.c2s': 0 });
      }
    });
  });
}
