import * as assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { client, xml, type Client } from '@xmpp/client';
import * as vscode from 'vscode';
import type { SandboxStatus } from '../../../sandbox/control/api';
import { freePort } from '../../helpers/net';
import { api, findNode, pidAlive, setSettings, waitFor } from './util';

const DOMAIN = 'suite.test';

export function lifecycleTests(): void {
  describe('sandbox lifecycle', () => {
    let c2sPort = 0;
    let pid = 0;
    let listenersBefore = 0;
    const clients: Client[] = [];

    before(async () => {
      c2sPort = await freePort();
      await setSettings({
        'ports.c2s': c2sPort,
        'ports.websocket': 0,
        'ports.component': 0,
        'ports.queue': 0,
        domain: DOMAIN,
        accounts: { carol: 'wonderland' },
        dataDirectory: mkdtempSync(join(tmpdir(), 'xmpp-sandbox-suite-')),
        logLevel: 'debug',
      });
      listenersBefore = (await api()).sandbox.subscriberCount;
    });

    after(async () => {
      for (const c of clients) await c.stop().catch(() => undefined);
      await vscode.commands.executeCommand('xmppSandbox.stop');
      await setSettings({ accounts: undefined });
    });

    it('Start Sandbox runs it in a child process with the settings', async () => {
      const a = await api();
      const status = await vscode.commands.executeCommand<SandboxStatus | undefined>('xmppSandbox.start', { notify: false });
      assert.ok(status, `start failed: ${a.controller.lastReport?.message}`);
      assert.equal(a.sandbox.state, 'running');
      pid = a.sandbox.pid!;
      assert.ok(pid > 0 && pid !== process.pid, 'a separate process');
      assert.ok(pidAlive(pid));
      const e = status.endpoints!;
      assert.equal(e.domain, DOMAIN);
      assert.equal(e.c2s, `xmpp://127.0.0.1:${c2sPort}`);
      assert.equal(e.password, 'sandbox');
      // The component secret is generated and kept in SecretStorage, not the default 'secret'.
      const secret = e.components[`bridge.${DOMAIN}`];
      assert.ok(secret && secret !== 'secret' && secret.length >= 16, `generated secret, got ${secret}`);
    });

    it('shows the endpoints in the tree and the ports in the status bar', async () => {
      const a = await api();
      const domain = await waitFor('the endpoints in the tree', () => findNode(a.tree.nodes, (n) => n.id === 'ep/domain'));
      const c2s = findNode(a.tree.nodes, (n) => n.id === 'ep/c2s');
      assert.equal(domain?.description, DOMAIN);
      assert.equal(c2s?.description, `xmpp://127.0.0.1:${c2sPort}`);
      assert.ok(a.tree.nodes.some((n) => n.label === 'Sessions'));
      await waitFor('the pipeline plugins in the tree', () => findNode(a.tree.nodes, (n) => n.kind === 'plugin'));
      assert.match(a.statusBar.item.text, new RegExp(`XMPP ${c2sPort}/\\d+/\\d+ · [\\d.]+/s`));
    });

    it('Copy Connection Settings puts a ready-to-paste snippet on the clipboard', async () => {
      const a = await api();
      const text = await vscode.commands.executeCommand<string>('xmppSandbox.copyConnectionSettings');
      const e = a.sandbox.status!.endpoints!;
      assert.equal(await vscode.env.clipboard.readText(), text);
      assert.ok(text.includes(`service: "xmpp://127.0.0.1:${c2sPort}"`));
      assert.ok(text.includes(`domain: "${DOMAIN}"`));
      assert.ok(text.includes(`password: "sandbox"`));
      if (e.queue) assert.ok(text.includes(`queue: "${e.queue}"`));
      if (e.component) assert.ok(text.includes(`password: "${e.components[`component.${DOMAIN}`]}"`));
    });

    it('fills the tree when a client connects: bare JID → resource with priority and presence', async () => {
      const a = await api();
      const xmpp = client({ service: `xmpp://127.0.0.1:${c2sPort}`, domain: DOMAIN, username: 'alice', password: 'sandbox', resource: 'suite' });
      xmpp.on('error', () => undefined);
      clients.push(xmpp);
      await xmpp.start();
      await xmpp.send(xml('presence', {}, xml('priority', {}, '5'), xml('show', {}, 'dnd')));
      const res = await waitFor('alice in the tree with priority 5', () => {
        const r = findNode(a.tree.nodes, (n) => n.id === `resource/alice@${DOMAIN}/suite`);
        return r?.description?.includes('priority 5') ? r : undefined;
      });
      assert.match(res.description!, /dnd/);
      assert.equal(res.iconColor, 'charts.red', 'a dnd dot is red');
      assert.ok(findNode(a.tree.nodes, (n) => n.id === `session/alice@${DOMAIN}`));

      await xmpp.stop();
      await waitFor('alice gone from the tree', () => !findNode(a.tree.nodes, (n) => n.id === `session/alice@${DOMAIN}`));
    });

    it('the status bar shows a stanza rate: from status samples, or from trace batches while they flow', async () => {
      const a = await api();
      const dave = client({ service: `xmpp://127.0.0.1:${c2sPort}`, domain: DOMAIN, username: 'dave', password: 'sandbox', resource: 'rate' });
      dave.on('error', () => undefined);
      clients.push(dave);
      await dave.start();
      const burst = async () => {
        for (let i = 0; i < 30; i++) await dave.send(xml('message', { to: `dave@${DOMAIN}/rate`, type: 'chat' }, xml('body', {}, `m${i}`)));
      };
      // No trace subscriber: the status bar samples the counter and does not turn tracing on.
      assert.equal(a.sandbox.traceSubscribed, false);
      await burst();
      await waitFor('a polled rate above 0', async () => {
        if (a.statusBar.rate > 0) return true;
        await burst();
        return false;
      }, 20_000);
      assert.match(a.statusBar.item.text, /· [\d.]+\/s$/);
      assert.equal(a.sandbox.traceSubscribed, false);
      // With a trace subscriber (as the inspector), the batches feed the rate.
      const off = a.sandbox.onEvent(() => undefined, { trace: true });
      try {
        assert.equal(a.sandbox.traceSubscribed, true);
        await waitFor('a rate from trace batches', async () => {
          await burst();
          return a.statusBar.rate > 0;
        }, 20_000);
      } finally {
        off();
      }
      await dave.stop();
    });

    it('a test message to an offline user lands in the offline store; Reset Sandbox Data empties it', async () => {
      const a = await api();
      await vscode.commands.executeCommand('xmppSandbox.sendTestMessage', { to: `bob@${DOMAIN}`, body: 'hello from the suite' });
      const node = await waitFor('bob in the offline store', () => findNode(a.tree.nodes, (n) => n.id === `offline/bob@${DOMAIN}`));
      assert.match(node.description!, /^1 message/);
      await vscode.commands.executeCommand('xmppSandbox.resetData', { skipConfirmation: true });
      await waitFor('offline store empty', () => !findNode(a.tree.nodes, (n) => n.id === `offline/bob@${DOMAIN}`));
    });

    it('tree actions: disconnect a session, delete a queue key, delete offline messages', async () => {
      const a = await api();
      const erin = client({ service: `xmpp://127.0.0.1:${c2sPort}`, domain: DOMAIN, username: 'erin', password: 'sandbox', resource: 'kick' });
      erin.on('error', () => undefined);
      erin.reconnect.stop();
      clients.push(erin);
      await erin.start();
      const resource = await waitFor('erin in the tree', () => findNode(a.tree.nodes, (n) => n.id === `resource/erin@${DOMAIN}/kick`));
      let disconnected = false;
      erin.once('disconnect', () => (disconnected = true));
      await vscode.commands.executeCommand('xmppSandbox.kickSession', resource);
      await waitFor('erin gone from the tree', () => !findNode(a.tree.nodes, (n) => n.id === `session/erin@${DOMAIN}`));
      await waitFor("erin's connection closed", () => disconnected);

      await a.sandbox.call('queue.push', { key: 'suite:jobs', values: ['a', 'b'] });
      const key = await waitFor('the queue key with 2 items', () => findNode(a.tree.nodes, (n) => n.id === 'queue/suite:jobs' && n.description === '2 items'));
      await vscode.commands.executeCommand('xmppSandbox.purgeQueueKey', key);
      await waitFor('the queue key gone', () => !findNode(a.tree.nodes, (n) => n.id === 'queue/suite:jobs'));

      await vscode.commands.executeCommand('xmppSandbox.sendTestMessage', { to: `frank@${DOMAIN}`, body: 'later' });
      const user = await waitFor('frank in the offline store', () => findNode(a.tree.nodes, (n) => n.id === `offline/frank@${DOMAIN}`));
      await vscode.commands.executeCommand('xmppSandbox.purgeOffline', user);
      await waitFor('frank gone from the offline store', () => !findNode(a.tree.nodes, (n) => n.id === `offline/frank@${DOMAIN}`));

      const reloaded = await vscode.commands.executeCommand<{ loaded: string[]; errors: unknown[] }>('xmppSandbox.reloadPlugins');
      assert.deepEqual(reloaded?.errors, []);
    });

    it('declared accounts use their own password (xmppSandbox.accounts)', async () => {
      const carol = client({ service: `xmpp://127.0.0.1:${c2sPort}`, domain: DOMAIN, username: 'carol', password: 'wonderland', resource: 'r' });
      carol.on('error', () => undefined);
      clients.push(carol);
      const jid = await carol.start();
      assert.equal(jid.toString(), `carol@${DOMAIN}/r`);
      await carol.stop();
      const wrong = client({ service: `xmpp://127.0.0.1:${c2sPort}`, domain: DOMAIN, username: 'carol', password: 'sandbox', resource: 'r' });
      wrong.on('error', () => undefined);
      clients.push(wrong);
      await assert.rejects(wrong.start(), /not-authorized/);
      await wrong.stop().catch(() => undefined);
    });

    it('Restart Sandbox replaces the child process', async () => {
      const a = await api();
      const status = await vscode.commands.executeCommand<SandboxStatus | undefined>('xmppSandbox.restart', { notify: false });
      assert.ok(status);
      assert.equal(a.sandbox.state, 'running');
      assert.notEqual(a.sandbox.pid, pid);
      await waitFor('old child gone', () => !pidAlive(pid));
      pid = a.sandbox.pid!;
    });

    it('Stop Sandbox ends the child and leaks nothing', async () => {
      const a = await api();
      await vscode.commands.executeCommand('xmppSandbox.stop');
      assert.equal(a.sandbox.state, 'stopped');
      await waitFor('child exited', () => !pidAlive(pid), 5000);
      assert.equal(a.liveResources(), 0, 'per-run resources left after stop');
      assert.equal(a.sandbox.subscriberCount, listenersBefore, 'event listeners added while running are gone');
      assert.deepEqual(a.tree.getChildren(), []);
      assert.match(a.statusBar.item.text, /XMPP: stopped/);
      await assert.rejects(a.sandbox.call('status', {}), /not running/);
    });
  });
}
