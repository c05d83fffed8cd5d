// XMPP: New Project… (issue 9) in the extension host: the command renders a template through
// sandbox/scaffold/render.ts and writes it with vscode.workspace.fs. The first tests pass their
// answers as arguments (no UI); one drives the real QuickPick as a person would, with
// workbench.action.acceptSelectedQuickOpenItem.

import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { NewProjectResult } from '../../../src/scaffold/command';
import { api, sleep, waitFor } from './util';

const NEW_PROJECT = 'xmppSandbox.newProject';

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
      assert.ok((await vscode.commands.getCommands(true)).includes(NEW_PROJECT));
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
      });
    });
  });
}
