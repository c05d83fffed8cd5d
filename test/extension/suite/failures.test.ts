import * as assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { SandboxStatus } from '../../../sandbox/control/api';
import type { Report } from '../../../src/sandbox/controller';
import { freePort } from '../../helpers/net';
import { api, pidAlive, setSettings, waitFor } from './util';

export function failureTests(): void {
  describe('failures a person can run into', () => {
    before(async () => {
      await setSettings({
        'ports.c2s': 0,
        'ports.websocket': 0,
        'ports.component': 0,
        'ports.queue': 0,
        domain: 'failures.test',
        dataDirectory: mkdtempSync(join(tmpdir(), 'xmpp-sandbox-suite-')),
      });
    });

    after(async () => {
      await vscode.commands.executeCommand('xmppSandbox.stop');
    });

    it('a port in use gets a clear message naming the setting, with Use a Free Port and Open Settings', async () => {
      const a = await api();
      const port = await freePort();
      const blocker: Server = createServer();
      await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()));
      try {
        await setSettings({ 'ports.c2s': port });
        const status = await vscode.commands.executeCommand<SandboxStatus | undefined>('xmppSandbox.start', { notify: false });
        assert.equal(status, undefined);
        assert.equal(a.sandbox.state, 'stopped');
        assert.deepEqual(a.controller.lastReport, {
          severity: 'error',
          message: `Port ${port} is already in use by another program, so the XMPP sandbox did not start. Stop that program, or set xmppSandbox.ports.c2s to another port (0 picks a free one).`,
          actions: ['Use a Free Port', 'Open Settings'],
        } satisfies Report);
        assert.equal(a.liveResources(), 0);
        // The action: the setting goes to 0 where it was set, and the sandbox starts on another port.
        const started = await a.controller.useFreePort('xmppSandbox.ports.c2s');
        assert.ok(started?.endpoints, 'started after Use a Free Port');
        assert.notEqual(new URL(started.endpoints.c2s).port, String(port));
        assert.equal(vscode.workspace.getConfiguration('xmppSandbox').inspect('ports.c2s')?.workspaceValue, 0);
        await vscode.commands.executeCommand('xmppSandbox.stop');
      } finally {
        blocker.close();
        await setSettings({ 'ports.c2s': 0 });
      }
    });

    it('two port settings with the same taken number: the message names the one whose listener failed', async () => {
      const a = await api();
      const port = await freePort();
      const blocker: Server = createServer();
      await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()));
      try {
        // c2s listens first, so it is the one that fails, whatever the WebSocket setting holds.
        await setSettings({ 'ports.c2s': port, 'ports.websocket': port });
        const status = await vscode.commands.executeCommand<SandboxStatus | undefined>('xmppSandbox.start', { notify: false });
        assert.equal(status, undefined);
        assert.match(a.controller.lastReport?.message ?? '', new RegExp(`^Port ${port} is already in use .* set xmppSandbox\\.ports\\.c2s to another port`));
        assert.equal(a.sandbox.state, 'stopped');
      } finally {
        blocker.close();
        await setSettings({ 'ports.c2s': 0, 'ports.websocket': 0 });
      }
    });

    it('Stop while starting ends the child without an error report', async () => {
      const a = await api();
      const before = a.controller.lastReport;
      const starting = vscode.commands.executeCommand<SandboxStatus | undefined>('xmppSandbox.start', { notify: false });
      await waitFor('starting', () => a.sandbox.state === 'starting' && a.sandbox.pid);
      const pid = a.sandbox.pid!;
      await vscode.commands.executeCommand('xmppSandbox.stop');
      assert.equal(await starting, undefined);
      assert.equal(a.sandbox.state, 'stopped');
      assert.equal(a.controller.lastReport, before, 'no notification for a stop the user asked for');
      await waitFor('child gone', () => !pidAlive(pid), 5000);
      assert.equal(a.liveResources(), 0);
    });

    it('a crash is reported with the last log lines and a Restart action', async () => {
      const a = await api();
      const status = await vscode.commands.executeCommand<SandboxStatus | undefined>('xmppSandbox.start', { notify: false });
      assert.ok(status, a.controller.lastReport?.message);
      const pid = a.sandbox.pid!;
      const reported = new Promise<Report>((r) => {
        const sub = a.controller.onDidReport((rep) => {
          if (/crashed/.test(rep.message)) {
            sub.dispose();
            r(rep);
          }
        });
      });
      process.kill(pid, 'SIGKILL');
      const rep = await reported;
      assert.equal(rep.severity, 'error');
      // One line of advice, not a wall of info lines (they are in the log).
      assert.match(rep.message, /^The XMPP sandbox crashed \(signal SIGKILL\)\.\nRestart it, or Show Log for its last lines\.$/);
      assert.deepEqual(rep.actions, ['Restart', 'Show Log']);
      assert.ok(a.sandbox.lastLogLines().length > 0, 'the child logged something before the crash');
      assert.equal(a.sandbox.state, 'stopped');
      assert.equal(a.liveResources(), 0);
      assert.ok(!pidAlive(pid));
    });

    it('changing a setting while running offers a restart', async () => {
      const a = await api();
      const status = await vscode.commands.executeCommand<SandboxStatus | undefined>('xmppSandbox.start', { notify: false });
      assert.ok(status, a.controller.lastReport?.message);
      const offered = new Promise<Report>((r) => {
        const sub = a.controller.onDidReport((rep) => {
          if (/settings changed/.test(rep.message)) {
            sub.dispose();
            r(rep);
          }
        });
      });
      await setSettings({ tieBreak: 'round-robin' });
      const rep = await offered;
      assert.deepEqual(rep.actions, ['Restart']);
      await setSettings({ tieBreak: undefined });
      await vscode.commands.executeCommand('xmppSandbox.stop');
      await waitFor('stopped', () => a.sandbox.state === 'stopped');
    });
  });
}
