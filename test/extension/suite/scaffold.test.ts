// XMPP: New Project… (issue 9) in the extension host: the command renders a template through
// sandbox/scaffold/render.ts and writes it with vscode.workspace.fs. The first tests pass their
// answers as arguments (no UI); one drives the real QuickPick as a person would, with
// workbench.action.acceptSelectedQuickOpenItem. The explorer's context menu ("New Worker for
// this JID", "New Bridge for this list") opens the same wizard pre-filled from a live session
// or queue list.

import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { client, xml, type Client } from '@xmpp/client';
import * as vscode from 'vscode';
import { workerArgsFor, type NewProjectResult } from '../../../src/scaffold/command';
import { api, findNode, sleep, waitFor } from './util';

const NEW_PROJECT = 'xmppSandbox.newProject';
const NEW_WORKER_FOR_JID = 'xmppSandbox.newWorkerForJid';
const NEW_BRIDGE_FOR_LIST = 'xmppSandbox.newBridgeForList';

/** Whether package.json's explorer context menu shows `command` on an item with this contextValue (its `viewItem =~ /…/` clause). */
function contextMenuShows(command: string, contextValue: string | undefined): boolean {
  const ext = vscode.extensions.all.find((e) => e.id.toLowerCase() === 'xmpp-sandbox.xmpp-sandbox')!;
  const entry = (ext.packageJSON.contributes.menus['view/item/context'] as { command: string; when: string }[]).find((m) => m.command === command);
  assert.ok(entry, `${command} is in the explorer's context menu`);
  assert.match(entry.when, /view == xmppSandbox\.explorer/);
  const re = /viewItem =~ \/(.+)\/$/.exec(entry.when);
  assert.ok(re, `a viewItem clause in '${entry.when}'`);
  return new RegExp(re[1]!).test(contextValue ?? '');
}

/** Runs a context-menu command on `node` with the other arguments given, and accepts "Use defaults" in the real QuickPick. */
async function fromContextMenu(command: string, node: unknown, folder: string): Promise<NewProjectResult> {
  const running = vscode.commands.executeCommand(command, node, { folder, open: 'none', install: false, startSandbox: false }) as Thenable<NewProjectResult | undefined>;
  await sleep(1000);
  await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem'); // "Use defaults": the item chose the template
  const r = await Promise.race([running, sleep(20_000).then(() => 'timeout' as const)]);
  assert.notEqual(r, 'timeout', 'the wizard finished');
  assert.ok(r && typeof r === 'object', 'the wizard wrote a project');
  return r;
}

function read(dir: string, file: string): string {
  return readFileSync(join(dir, file), 'utf8');
}

export function scaffoldTests(): void {
  describe('XMPP: New Project…', () => {
    it('is contributed to the palette (category XMPP) and the explorer title menu, and the walkthrough runs it', async () => {
      const ext = vscode.extensions.all.find((e) => e.id.toLowerCase() === 'xmpp-sandbox.xmpp-sandbox')!;
      const c = ext.packageJSON.contributes;
      const cmd = (c.commands as { command: string; category?: string }[]).find((x) => x.command === NEW_PROJECT);
      assert.equal(cmd?.category, 'XMPP');
      assert.ok((c.menus['view/title'] as { command: string; when: string }[]).some((m) => m.command === NEW_PROJECT && m.when.includes('xmppSandbox.explorer')));
      const step = (c.walkthroughs as { steps: { id: string; description: string; completionEvents?: string[] }[] }[])[0]!.steps.find((s) => s.id === 'worker')!;
      assert.match(step.description, /\(command:xmppSandbox\.newProject\)/);
      assert.deepEqual(step.completionEvents, ['onContext:xmppSandbox.projectCreated']);
      await api(); // activated (this suite may run first, under XMPP_SANDBOX_SUITE_GREP)
      const commands = await vscode.commands.getCommands(true);
      for (const id of [NEW_PROJECT, NEW_WORKER_FOR_JID, NEW_BRIDGE_FOR_LIST]) assert.ok(commands.includes(id), `${id} registered`);
      // The context-menu commands need an explorer item: hidden from the palette.
      const palette = c.menus.commandPalette as { command: string; when: string }[];
      for (const id of [NEW_WORKER_FOR_JID, NEW_BRIDGE_FOR_LIST]) assert.equal(palette.find((m) => m.command === id)?.when, 'false');
    });

    it('generates the worker template into a temporary folder with the variables substituted', async () => {
      const dir = join(mkdtempSync(join(tmpdir(), 'xmpp-new-')), 'my-bot');
      const r = (await vscode.commands.executeCommand(NEW_PROJECT, {
        template: 'worker',
        useDefaults: true,
        values: { jid: 'robot@example.test' },
        folder: dir,
        open: 'none',
        install: false,
        startSandbox: false,
      })) as NewProjectResult | undefined;
      assert.ok(r, 'the command resolved with its result');
      assert.equal(r.template, 'worker');
      assert.equal(r.values.name, 'my-bot', "the folder's name names the project");
      for (const f of ['package.json', 'tsconfig.json', 'README.md', '.gitignore']) assert.ok(existsSync(join(dir, f)), `${f} written`);
      assert.ok(!existsSync(join(dir, '_gitignore')), 'renamed by the manifest');
      assert.ok(r.files.length >= 5);
      for (const f of r.files) assert.ok(existsSync(join(dir, ...f.split('/'))), `${f} exists`);
      const pkg = JSON.parse(read(dir, 'package.json')) as { name: string; devDependencies?: Record<string, string>; dependencies?: Record<string, string> };
      assert.equal(pkg.name, 'my-bot');
      const spec = pkg.devDependencies?.['xmpp-sandbox'] ?? pkg.dependencies?.['xmpp-sandbox'];
      assert.equal(spec, r.sandboxPackage);
      assert.match(spec!, /^(file:.+|\^\d+\.\d+\.\d+)$/);
      const all = r.files.map((f) => read(dir, f)).join('\n');
      assert.doesNotMatch(all, /\{\{\s*[A-Za-z]/, 'no placeholder left');
      const config = read(dir, 'src/config.ts');
      assert.match(config, /XMPP_DOMAIN \|\| 'example\.test'/, "the JID's domainpart is substituted");
      assert.match(config, /XMPP_USERNAME \|\| 'robot'/, "the JID's localpart is substituted");
      assert.match(read(dir, 'README.md'), /^# my-bot\b/);
      assert.match(read(dir, 'README.md'), /\*\*robot@example\.test\*\*/);
    });

    it('refuses a non-empty folder and writes nothing', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'xmpp-new-full-'));
      writeFileSync(join(dir, 'keep.txt'), 'mine');
      const r = await vscode.commands.executeCommand(NEW_PROJECT, { template: 'worker', useDefaults: true, folder: dir, open: 'none', install: false, startSandbox: false });
      assert.equal(r, undefined);
      assert.deepEqual(readdirSync(dir), ['keep.txt']);
    });

    it("refuses a value that does not match the template's pattern, and writes nothing", async () => {
      const dir = join(mkdtempSync(join(tmpdir(), 'xmpp-new-')), 'bad');
      const r = await vscode.commands.executeCommand(NEW_PROJECT, { template: 'worker', useDefaults: true, values: { name: 'Not An npm Name' }, folder: dir, open: 'none', install: false, startSandbox: false });
      assert.equal(r, undefined);
      assert.ok(!existsSync(dir), 'no folder created');
      const r2 = await vscode.commands.executeCommand(NEW_PROJECT, { template: 'worker', useDefaults: true, values: { nope: 'x' }, folder: dir, open: 'none', install: false, startSandbox: false });
      assert.equal(r2, undefined);
      assert.ok(!existsSync(dir));
    });

    it('runs from the real QuickPick: template, then "Use defaults"', async () => {
      const dir = join(mkdtempSync(join(tmpdir(), 'xmpp-new-ui-')), 'ui-worker');
      const running = vscode.commands.executeCommand(NEW_PROJECT, { folder: dir, open: 'none', install: false, startSandbox: false }) as Thenable<NewProjectResult | undefined>;
      await sleep(1000);
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem'); // step 1: worker (first, or last used)
      await sleep(1000);
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem'); // step 2: Use defaults
      const r = await Promise.race([running, sleep(20_000).then(() => 'timeout' as const)]);
      assert.notEqual(r, 'timeout', 'the wizard finished');
      assert.ok(r && typeof r === 'object');
      assert.equal(r.template, 'worker');
      assert.equal(JSON.parse(read(dir, 'package.json')).name, 'ui-worker');
      assert.match(r.values.jid!, /@/);
    });

    it('goes back with the back button, and Customize… asks each variable pre-filled', async () => {
      const dir = join(mkdtempSync(join(tmpdir(), 'xmpp-new-ui-')), 'custom-worker');
      const running = vscode.commands.executeCommand(NEW_PROJECT, { folder: dir, open: 'none', install: false, startSandbox: false }) as Thenable<NewProjectResult | undefined>;
      const step = async (command: string): Promise<void> => {
        await sleep(700);
        await vscode.commands.executeCommand(command);
      };
      await step('workbench.action.acceptSelectedQuickOpenItem'); // template: worker
      await step('workbench.action.quickInputBack'); // back to the templates
      await step('workbench.action.acceptSelectedQuickOpenItem'); // worker again (the last used one is active)
      await step('workbench.action.quickOpenSelectNext'); // "Customize…"
      await step('workbench.action.acceptSelectedQuickOpenItem');
      await step('workbench.action.acceptSelectedQuickOpenItem'); // name: the suggestion
      await step('workbench.action.acceptSelectedQuickOpenItem'); // jid: the suggestion
      const r = await Promise.race([running, sleep(20_000).then(() => 'timeout' as const)]);
      assert.notEqual(r, 'timeout', 'the wizard finished');
      assert.ok(r && typeof r === 'object');
      // Customized: the name is the one accepted in its InputBox (the manifest's default), not the folder's.
      assert.equal(r.values.name, 'xmpp-worker');
      assert.equal(JSON.parse(read(dir, 'package.json')).name, 'xmpp-worker');
    });

    describe('with the sandbox', () => {
      after(async () => {
        await vscode.commands.executeCommand('xmppSandbox.stop');
      });

      it('starts the sandbox when it is stopped', async () => {
        const a = await api();
        if (a.sandbox.state !== 'stopped') await vscode.commands.executeCommand('xmppSandbox.stop');
        assert.equal(a.sandbox.state, 'stopped');
        const dir = join(mkdtempSync(join(tmpdir(), 'xmpp-new-')), 'started');
        const r = await vscode.commands.executeCommand(NEW_PROJECT, { template: 'worker', useDefaults: true, folder: dir, open: 'none', install: false });
        assert.ok(r);
        await waitFor('the sandbox running', () => a.sandbox.state === 'running', 20_000);
      });

      it('"New Worker for this JID" on a session\'s resource opens the wizard pre-filled with its bare JID', async () => {
        const a = await api();
        const e = await waitFor('the sandbox running', () => a.sandbox.status?.endpoints, 20_000);
        let xmpp: Client | undefined = client({ service: e.c2s, domain: e.domain, username: 'robot', password: e.password, resource: 'menu' });
        try {
          xmpp.on('error', () => undefined);
          await xmpp.start();
          await xmpp.send(xml('presence'));
          const resource = await waitFor("robot's resource in the explorer", () => findNode(a.tree.nodes, (n) => n.kind === 'resource' && n.value === `robot@${e.domain}/menu`));
          const session = findNode(a.tree.nodes, (n) => n.kind === 'session' && n.value === `robot@${e.domain}`)!;
          assert.ok(contextMenuShows(NEW_WORKER_FOR_JID, a.tree.getTreeItem(resource).contextValue), 'shown on a resource');
          assert.ok(contextMenuShows(NEW_WORKER_FOR_JID, a.tree.getTreeItem(session).contextValue), 'shown on a session');
          const domainNode = findNode(a.tree.nodes, (n) => n.id === 'ep/domain')!;
          assert.ok(!contextMenuShows(NEW_WORKER_FOR_JID, a.tree.getTreeItem(domainNode).contextValue), 'not shown on an endpoint');

          const dir = join(mkdtempSync(join(tmpdir(), 'xmpp-new-menu-')), 'robot-worker');
          const r = await fromContextMenu(NEW_WORKER_FOR_JID, resource, dir);
          assert.equal(r.template, 'worker');
          assert.equal(r.values.jid, `robot@${e.domain}`, 'the bare JID, without the resource');
          assert.match(read(dir, 'src/config.ts'), /XMPP_USERNAME \|\| 'robot'/);
        } finally {
          await xmpp?.stop().catch(() => undefined);
          xmpp = undefined;
        }
        // A full JID loses its resource (RFC 7622 §3.1: after the first '/') and its case (§3.3.1, §3.2.1).
        assert.deepEqual(workerArgsFor({ kind: 'resource', value: 'Robot@Example.ORG/a/b' }), { template: 'worker', values: { jid: 'robot@example.org' } });
        assert.equal(workerArgsFor({ kind: 'queue', value: 'jobs' }), undefined);
      });

      it('"New Bridge for this list" on a queue list opens the bridge wizard taking stanzas from that list; anything else is refused', async () => {
        const a = await api();
        await a.sandbox.call('queue.push', { key: 'orders:out', values: ["<message to='x@localhost'/>"] });
        const list = await waitFor('the list in the explorer', () => findNode(a.tree.nodes, (n) => n.id === 'queue/orders:out'));
        assert.ok(contextMenuShows(NEW_BRIDGE_FOR_LIST, a.tree.getTreeItem(list).contextValue), 'shown on a list');
        assert.ok(!contextMenuShows(NEW_BRIDGE_FOR_LIST, 'queue string copyable'), 'not on a string key');

        const dir = join(mkdtempSync(join(tmpdir(), 'xmpp-new-menu-')), 'orders-bridge');
        const r = await fromContextMenu(NEW_BRIDGE_FOR_LIST, list, dir);
        assert.equal(r.template, 'bridge');
        assert.equal(r.values.outbox, 'orders:out');
        assert.match(read(dir, '.env.example'), /^OUTBOX_LIST=orders:out$/m);
        assert.match(read(dir, 'src/config.ts'), /OUTBOX_LIST \|\| 'orders:out'/);
        await a.sandbox.call('queue.purge', { key: 'orders:out' });

        // Run from the palette or on another item: a clear error, no wizard.
        assert.equal(await vscode.commands.executeCommand(NEW_BRIDGE_FOR_LIST), undefined);
        assert.equal(await vscode.commands.executeCommand(NEW_WORKER_FOR_JID, list), undefined);
      });

      it("pre-fills the JIDs from the running sandbox's domain and component", async () => {
        const a = await api();
        await waitFor('the sandbox running', () => a.sandbox.status?.endpoints, 20_000);
        const e = a.sandbox.status!.endpoints!;
        const worker = (await vscode.commands.executeCommand(NEW_PROJECT, { template: 'worker', useDefaults: true, folder: join(mkdtempSync(join(tmpdir(), 'xmpp-new-')), 'w'), open: 'none', install: false })) as NewProjectResult;
        assert.equal(worker.values.jid, `worker@${e.domain}`);
        const bridge = (await vscode.commands.executeCommand(NEW_PROJECT, { template: 'bridge', useDefaults: true, folder: join(mkdtempSync(join(tmpdir(), 'xmpp-new-')), 'b'), open: 'none', install: false })) as NewProjectResult;
        const components = Object.keys(e.components);
        assert.ok(components.length > 0, 'the sandbox accepts a component');
        assert.equal(bridge.values.jid, components[0]);
        // The outbox list follows the name the folder gave; the one of the context-menu bridge above is not remembered.
        assert.equal(bridge.values.name, 'b');
        assert.equal(bridge.values.outbox, 'b:outbox');
      });
    });
  });
}
