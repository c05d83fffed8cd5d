// Scenario scripts in the editor: a .scs file opens as the `scansion` language, its title line
// carries the Run Scenario CodeLens, the Test Explorer lists it with its steps, and Run Scenario
// runs it through the test controller (the bundled CLI with --json): a good script passes step
// by step, a failing one fails at the right step with a diff located at its line.

import * as assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ScenarioRunResult } from '../../../src/scenario/controller';
import { api, waitFor } from './util';

const CHARACTERS = ['[Client] Romeo', '\tjid: romeo@localhost', '\tpassword: montague', '', '[Client] Juliet', '\tjid: juliet@localhost', '\tpassword: capulet', ''];

const GOOD = [
  '# An IQ to a full JID that is not connected',
  '',
  ...CHARACTERS,
  '---------',
  '',
  'Romeo connects',
  '',
  'Romeo sends:',
  '\t<iq type="get" id="ping-1" to="${Juliet\'s JID}/nowhere">',
  '\t\t<ping xmlns="urn:xmpp:ping"/>',
  '\t</iq>',
  '',
  'Romeo receives:',
  '\t<iq type="error" id="ping-1" from="${Juliet\'s JID}/nowhere">',
  '\t\t<error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error>',
  '\t</iq>',
  '',
  'Romeo disconnects',
  '',
].join('\n');

const BAD = [
  '# The body is not the one expected',
  '',
  ...CHARACTERS,
  '---------',
  '',
  'Romeo connects',
  'Juliet connects',
  '',
  'Romeo sends:',
  '\t<message to="${Juliet\'s full JID}" type="chat">',
  '\t\t<body>Good night, good night!</body>',
  '\t</message>',
  '',
  'Juliet receives:',
  '\t<message from="${Romeo\'s full JID}" type="chat">',
  '\t\t<body>Parting is such sweet sorrow</body>',
  '\t</message>',
  '',
  'Romeo disconnects',
  '',
].join('\n');
const BAD_LINE = BAD.split('\n').indexOf('Juliet receives:') + 1;

export function scenarioTests(): void {
  describe('scenario scripts (.scs)', () => {
    let dir = '';
    let good: vscode.Uri;
    let bad: vscode.Uri;

    before(() => {
      const folder = vscode.workspace.workspaceFolders?.[0];
      assert.ok(folder, 'the suite runs in a workspace folder');
      dir = join(folder.uri.fsPath, 'scenarios-suite');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'good.scs'), GOOD);
      writeFileSync(join(dir, 'bad.scs'), BAD);
      good = vscode.Uri.file(join(dir, 'good.scs'));
      bad = vscode.Uri.file(join(dir, 'bad.scs'));
    });

    after(async () => {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      rmSync(dir, { recursive: true, force: true });
    });

    it('opens as the scansion language, with Run Scenario on the title line', async () => {
      const doc = await vscode.workspace.openTextDocument(good);
      await vscode.window.showTextDocument(doc);
      assert.equal(doc.languageId, 'scansion');
      const lenses = await waitFor('the Run Scenario CodeLens', async () => {
        const l = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', good);
        return l?.find((x) => x.command?.command === 'xmppSandbox.runScenario');
      });
      assert.equal(lenses.range.start.line, 0);
      assert.equal(lenses.command?.title, '$(run) Run Scenario');
    });

    it('offers the snippets, and toggles # line comments', async () => {
      const doc = await vscode.workspace.openTextDocument({ language: 'scansion', content: 'Romeo connects\n\n' });
      const editor = await vscode.window.showTextDocument(doc);
      const list = await waitFor('snippet completions', async () => {
        const l = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, new vscode.Position(1, 0));
        return l?.items.some((i) => i.kind === vscode.CompletionItemKind.Snippet) ? l : undefined;
      });
      const labels = list.items.filter((i) => i.kind === vscode.CompletionItemKind.Snippet).map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
      for (const prefix of ['scenario', 'client', 'sends message', 'sends presence', 'sends iq', 'receives', 'receives nothing']) assert.ok(labels.includes(prefix), `${prefix} in ${labels.join(', ')}`);
      editor.selection = new vscode.Selection(0, 0, 0, 0);
      await vscode.commands.executeCommand('editor.action.commentLine');
      assert.equal(doc.lineAt(0).text, '# Romeo connects');
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    });

    it('lists each script in the Test Explorer with its steps and their lines', async () => {
      const { scenarios } = await api();
      const item = await waitFor('the test item of good.scs', () => scenarios.controller.items.get(good.toString()));
      assert.equal(item.label, 'An IQ to a full JID that is not connected');
      const steps: [string, number][] = [];
      item.children.forEach((c) => steps.push([c.label, c.range!.start.line + 1]));
      const lineOf = (text: string) => GOOD.split('\n').indexOf(text) + 1;
      assert.deepEqual(
        steps,
        ['Romeo connects', 'Romeo sends:', 'Romeo receives:', 'Romeo disconnects'].map((t) => [t, lineOf(t)]),
      );
      assert.equal(lineOf('Romeo connects'), 13);
    });

    it('finds the scripts no editor has open, and follows files created and deleted', async () => {
      const { scenarios } = await api();
      // What the Test Explorer calls when it first shows the controller.
      await scenarios.controller.resolveHandler!(undefined);
      const unopened = scenarios.controller.items.get(bad.toString());
      assert.ok(unopened, 'bad.scs, never opened, is listed');
      assert.equal(unopened.label, 'The body is not the one expected');
      const later = vscode.Uri.file(join(dir, 'later.scs'));
      writeFileSync(later.fsPath, '# Written later\n\n[Client] Romeo\n\tjid: romeo@localhost\n\tpassword: x\n\n---\n\nRomeo connects\n');
      const item = await waitFor('the watcher to add later.scs', () => scenarios.controller.items.get(later.toString()));
      assert.equal(item.label, 'Written later');
      assert.equal(item.children.size, 1);
      rmSync(later.fsPath);
      await waitFor('the watcher to remove later.scs', () => !scenarios.controller.items.get(later.toString()));
    });

    it('Run Scenario passes a good script step by step', async function () {
      this.timeout(90_000);
      const { scenarios } = await api();
      const result = await vscode.commands.executeCommand<ScenarioRunResult>('xmppSandbox.runScenario', good);
      assert.equal(result, scenarios.lastRun, 'the command returns the run the controller recorded');
      assert.equal(result.error, undefined, result.error);
      assert.equal(result.exitCode, 0);
      assert.deepEqual(result.report?.scripts.map((s) => s.status), ['pass']);
      const marks = result.outcomes.map((o) => [o.label, o.status]);
      assert.deepEqual(marks, [
        ['Romeo connects', 'passed'],
        ['Romeo sends:', 'passed'],
        ['Romeo receives:', 'passed'],
        ['Romeo disconnects', 'passed'],
        ['An IQ to a full JID that is not connected', 'passed'],
      ]);
      for (const o of result.outcomes) assert.ok(typeof o.durationMs === 'number' && o.durationMs >= 0, `${o.label}: ${o.durationMs}`);
    });

    it('Run Scenario fails a failing script at its step, with a diff at that line', async function () {
      this.timeout(90_000);
      const doc = await vscode.workspace.openTextDocument(bad);
      await vscode.window.showTextDocument(doc);
      assert.equal(doc.languageId, 'scansion');
      // No URI: the active editor's script.
      const result = await vscode.commands.executeCommand<ScenarioRunResult>('xmppSandbox.runScenario');
      assert.equal(result.error, undefined, result.error);
      assert.equal(result.exitCode, 1);
      assert.deepEqual(result.files, [bad.fsPath]);
      const failed = result.outcomes.filter((o) => o.status === 'failed');
      assert.deepEqual(failed.map((o) => o.label), ['Juliet receives:', 'The body is not the one expected']);
      const [message] = failed[0]!.messages;
      assert.ok(message);
      assert.equal(message.line, BAD_LINE);
      assert.match(message.message, new RegExp(`^line ${BAD_LINE}: /message/body: text "Good night, good night!", expected "Parting is such sweet sorrow"`));
      assert.match(message.expected ?? '', /<body>Parting is such sweet sorrow<\/body>/);
      assert.match(message.actual ?? '', /<body>Good night, good night!<\/body>/);
      assert.equal(failed[1]!.messages[0]?.line, BAD_LINE, "the script's own failure points at the step too");
      assert.deepEqual(
        result.outcomes.filter((o) => o.label === 'Romeo disconnects').map((o) => o.status),
        ['skipped'],
      );
    });
  });
}
