// The queue, readable from the explorer (issue 13): a click on a key opens its items in a
// read-only editor (first and last page of a long list, with the length), refreshed when a real
// Redis client changes the list; dead letters with their reason; Push Item… checked by the
// bridge's rule; Pop; Copy Items; and the component secret in the endpoints, masked.

import * as assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import * as vscode from 'vscode';
import type { SandboxStatus } from '../../../sandbox/control/api';
import { QUEUE_SCHEME } from '../../../src/queue/queueView';
import { MASK } from '../../../src/views/sandboxTree';
import { api, findNode, FREE_PORTS, setSettings, waitFor } from './util';

const DOMAIN = 'queue-view.test';

export function queueViewTests(): void {
  describe('the queue in the explorer', () => {
    let redis: Redis | undefined;

    /** The text of the open queue editor for `key`. */
    const editorText = (key: string) => vscode.workspace.textDocuments.find((d) => d.uri.scheme === QUEUE_SCHEME && d.uri.path === `/${key}`)?.getText() ?? '';

    before(async () => {
      await setSettings({
        ...FREE_PORTS,
        domain: DOMAIN,
        dataDirectory: mkdtempSync(join(tmpdir(), 'xmpp-sandbox-suite-')),
      });
      const status = await vscode.commands.executeCommand<SandboxStatus | undefined>('xmppSandbox.start', { notify: false });
      assert.ok(status?.endpoints?.queue, 'the sandbox started with its queue');
      redis = new Redis(status.endpoints.queue, { maxRetriesPerRequest: 1 });
    });

    after(async () => {
      redis?.disconnect();
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await vscode.commands.executeCommand('xmppSandbox.stop');
    });

    it('a click on a list key opens its items: the first and last page of a long list, with the length', async () => {
      const a = await api();
      await redis!.lpush('jobs', ...Array.from({ length: 250 }, (_, i) => `job-${i}`));
      const node = await waitFor('jobs in the tree', () => findNode(a.tree.nodes, (n) => n.kind === 'queue' && n.label === 'jobs' && n.description === '250 items'));
      const item = a.tree.getTreeItem(node);
      // The click runs the item's command, with the node as its argument, as VS Code does.
      assert.equal(item.command?.command, 'xmppSandbox.openQueueKey');
      assert.match(String(item.contextValue), /^queue list\b/);
      await vscode.commands.executeCommand(item.command.command, ...(item.command.arguments ?? []));
      const text = await waitFor('the jobs editor', () => editorText('jobs'));
      assert.equal(vscode.window.activeTextEditor?.document.uri.scheme, QUEUE_SCHEME);
      assert.match(text, /^jobs · list · 250 items$/m);
      // LPUSH puts the last value at the left end, index 0.
      assert.match(text, /^\[0\] job-249$/m);
      assert.match(text, /^\[99\] job-150$/m);
      assert.match(text, /^… 50 items not shown \(\[100\] to \[149\]\)/m);
      assert.doesNotMatch(text, /job-100$/m);
      assert.match(text, /^\[150\] job-99$/m);
      assert.match(text, /^\[249\] job-0$/m);
    });

    it('the open editor follows the list as a Redis client changes it', async () => {
      await redis!.rpush('jobs', 'job-tail');
      const text = await waitFor('251 items in the editor', () => (/251 items/.test(editorText('jobs')) ? editorText('jobs') : undefined));
      assert.match(text, /^\[250\] job-tail$/m);
    });

    it('Pop takes from the end asked for, and says when the list is empty', async () => {
      const right = await vscode.commands.executeCommand<{ value: string | null }>('xmppSandbox.popQueueItem', { key: 'jobs', side: 'right' });
      assert.deepEqual(right, { value: 'job-tail' });
      const left = await vscode.commands.executeCommand<{ value: string | null }>('xmppSandbox.popQueueItem', { key: 'jobs', side: 'left' });
      assert.deepEqual(left, { value: 'job-249' });
      assert.equal(await redis!.llen('jobs'), 249);
      const none = await vscode.commands.executeCommand<{ value: string | null }>('xmppSandbox.popQueueItem', { key: 'no-such-list', side: 'left' });
      assert.deepEqual(none, { value: null });
    });

    it('Copy Items copies the whole list as JSON, a string as it is', async () => {
      const text = await vscode.commands.executeCommand<string>('xmppSandbox.copyQueueItems', { key: 'jobs' });
      const items = JSON.parse(await vscode.env.clipboard.readText()) as string[];
      assert.equal(text, await vscode.env.clipboard.readText());
      assert.equal(items.length, 249);
      assert.equal(items[0], 'job-248');
      assert.equal(items.at(-1), 'job-0');
      await redis!.set('greeting', 'hello\nworld');
      await vscode.commands.executeCommand('xmppSandbox.copyQueueItems', { key: 'greeting' });
      assert.equal(await vscode.env.clipboard.readText(), 'hello\nworld');
    });

    it('a string key opens with its value', async () => {
      await vscode.commands.executeCommand('xmppSandbox.openQueueKey', 'greeting');
      const text = await waitFor('the greeting editor', () => editorText('greeting'));
      assert.equal(text, 'greeting · string · 11 bytes\n\nhello\nworld\n');
    });

    it('dead letters show their reason next to the item', async () => {
      // A real client pushes what the bridge cannot send: no `to` (XEP-0114 needs one).
      await redis!.lpush('xmpp:outbox', '<message type="chat"><body>nowhere</body></message>');
      await waitFor('the dead letter', async () => (await redis!.llen('xmpp:outbox:dead')) === 1);
      await vscode.commands.executeCommand('xmppSandbox.openQueueKey', 'xmpp:outbox:dead');
      const text = await waitFor('the dead-letter editor', () => editorText('xmpp:outbox:dead'));
      assert.match(text, /^\[0\] reason: the stanza has no "to" address \(XEP-0114 requires one\) · at \d{4}-\d\d-\d\dT/m);
      assert.match(text, /^ {4}<message type="chat"><body>nowhere<\/body><\/message>$/m);
    });

    it('Push Item… checks an xmpp:outbox item with the bridge\'s rule, and the bridge sends a good one', async () => {
      const a = await api();
      const refused = await vscode.commands.executeCommand<{ refused?: string }>('xmppSandbox.pushQueueItem', { key: 'xmpp:outbox', item: '<message><body>no address</body>' });
      assert.match(refused?.refused ?? '', /^The bridge would dead-letter this: .*line 1/);
      const pushed = await vscode.commands.executeCommand<{ length: number }>('xmppSandbox.pushQueueItem', {
        key: 'xmpp:outbox',
        item: `<message type="chat" to="dave@${DOMAIN}"><body>from the queue</body></message>`,
      });
      assert.ok(pushed && pushed.length >= 1, JSON.stringify(pushed));
      // dave is not connected: the bridge's message waits in his offline store.
      await waitFor('dave in the offline store', () => a.model.snapshot.offline.some((u) => u.bareJid === `dave@${DOMAIN}`));
      assert.equal(await redis!.llen('xmpp:outbox:dead'), 1, 'the good item was not dead-lettered');
      // Any other list takes any text.
      const plain = await vscode.commands.executeCommand<{ length: number }>('xmppSandbox.pushQueueItem', { key: 'notes', item: 'not xml at all' });
      assert.deepEqual(plain, { length: 1 });
      assert.deepEqual(await redis!.lrange('notes', 0, -1), ['not xml at all']);
    });

    it('the endpoints show the component secret masked, and Copy copies the real one', async () => {
      const a = await api();
      const secret = a.sandbox.status!.endpoints!.components[`bridge.${DOMAIN}`]!;
      const node = await waitFor('the secret node', () => findNode(a.tree.nodes, (n) => n.label === 'Component secret'));
      assert.equal(node.description, `${MASK} (bridge.${DOMAIN}, component.${DOMAIN})`);
      const item = a.tree.getTreeItem(node);
      assert.ok(!JSON.stringify({ d: item.description, t: item.tooltip, l: item.label }).includes(secret), 'the secret is not on screen');
      assert.match(String(item.contextValue), /copyable/);
      await vscode.commands.executeCommand('xmppSandbox.copyTreeValue', node);
      assert.equal(await vscode.env.clipboard.readText(), secret);
    });
  });
}
