// Scenario scripts in the editor: a .scs file opens as the `scansion` language, its title line
// carries the Run Scenario CodeLens, the Test Explorer lists it with its steps, and Run Scenario
// runs it through the test controller (the bundled CLI with --json): a good script passes step
// by step, a failing one fails at the right step with a diff located at its line. The
// language help: diagnostics from the parser and the stanza validator, completion of
// characters and ${…} variables, hovers naming a namespace's XEP or RFC; Run to Here, the ✓/✗
// marks a run leaves on the step lines (gone on edit), and Send This Step into the extension's
// running sandbox, received by real @xmpp/client peers.

import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { client, xml, type Client } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import * as vscode from 'vscode';
import type { SandboxStatus } from '../../../sandbox/control/api';
import * as vocabulary from '../../../sandbox/xmpp/vocabulary';
import type { ScenarioRunResult } from '../../../src/scenario/controller';
import type { SentStep } from '../../../src/scenario/sendStep';
import { api, setSettings, waitFor } from './util';

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

/** How a run of GOOD marks its steps and itself in the Test Explorer. */
const GOOD_PASSED = [
  ['Romeo connects', 'passed'],
  ['Romeo sends:', 'passed'],
  ['Romeo receives:', 'passed'],
  ['Romeo disconnects', 'passed'],
  ['An IQ to a full JID that is not connected', 'passed'],
];

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
      assert.deepEqual(marks, GOOD_PASSED);
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

    it('marks each step line with ✓/✗ and its time after a run, and clears the marks on edit', async () => {
      const { scenarios } = await api();
      // The failing run above left its marks on bad.scs.
      const marks = scenarios.decorations.current(bad);
      const byLine = new Map(marks.map((m) => [m.line, m]));
      assert.match(byLine.get(BAD_LINE)?.text ?? '', /^✗ \d+ ms$/);
      assert.equal(byLine.get(BAD_LINE)?.passed, false);
      const connectLine = BAD.split('\n').indexOf('Romeo connects') + 1;
      assert.match(byLine.get(connectLine)?.text ?? '', /^✓ \d+ ms$/);
      assert.ok(!byLine.has(BAD.split('\n').indexOf('Romeo disconnects') + 1), 'a step not run has no mark');
      const doc = await vscode.workspace.openTextDocument(bad);
      const editor = await vscode.window.showTextDocument(doc);
      await editor.edit((e) => e.insert(new vscode.Position(doc.lineCount - 1, 0), '# edited\n'));
      assert.deepEqual(scenarios.decorations.current(bad), []);
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    });

    it('Run to Here runs the script up to and including that step', async function () {
      this.timeout(90_000);
      const { scenarios } = await api();
      const sendsLine = GOOD.split('\n').indexOf('Romeo sends:') + 1;
      const lenses = await waitFor('the step CodeLenses', async () => {
        const l = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', good);
        return l?.some((x) => x.command?.command === 'xmppSandbox.runScenarioToHere') ? l : undefined;
      });
      const toHere = lenses.filter((l) => l.command?.command === 'xmppSandbox.runScenarioToHere').map((l) => [l.range.start.line + 1, l.command!.title]);
      const stepLines = ['Romeo connects', 'Romeo sends:', 'Romeo receives:', 'Romeo disconnects'].map((t) => GOOD.split('\n').indexOf(t) + 1);
      assert.deepEqual(toHere, stepLines.map((n) => [n, 'Run to Here']));
      const send = lenses.filter((l) => l.command?.command === 'xmppSandbox.sendScenarioStep');
      assert.deepEqual(send.map((l) => [l.range.start.line + 1, l.command!.title]), [[sendsLine, 'Send This Step']], 'Send This Step only on sends: steps');

      // A line inside the step's stanza counts as the step.
      const result = await vscode.commands.executeCommand<ScenarioRunResult>('xmppSandbox.runScenarioToHere', good, sendsLine + 1);
      assert.equal(result.error, undefined, result.error);
      assert.equal(result.exitCode, 0);
      assert.deepEqual(
        result.outcomes.map((o) => [o.label, o.status]),
        [
          ['Romeo connects', 'passed'],
          ['Romeo sends:', 'passed'],
          ['Romeo receives:', 'skipped'],
          ['Romeo disconnects', 'skipped'],
          ['An IQ to a full JID that is not connected', 'passed'],
        ],
      );
      assert.deepEqual(scenarios.decorations.current(good).map((m) => m.line), stepLines.slice(0, 2));
      const notAStep = await vscode.commands.executeCommand<ScenarioRunResult | undefined>('xmppSandbox.runScenarioToHere', good, 1);
      assert.equal(notAStep, undefined, 'line 1 is not in a step: nothing runs');
    });
  });

  describe('scenario language help', () => {
    const PROBLEMS = [
      '# Problems',
      '',
      '[Client] Romeo',
      '\tjid: romeo@localhost',
      '\tpassword: x',
      '',
      '-----',
      '',
      'Romeo connects',
      'Romo connects',
      'Romeo dances',
      'Romeo sends:',
      '\t<message to="juliet@localhost">',
      '\t\t<body>hi</message>',
      'Romeo sends:',
      '\t<iq type="get" to="${Romeo\'s JID}"><ping xmlns="urn:xmpp:ping"/></iq>',
      '',
    ].join('\n');
    const at = (text: string) => PROBLEMS.split('\n').indexOf(text);

    afterEach(async () => {
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    });

    it('reports malformed XML, unknown characters and unknown actions at their lines, and clears them when fixed', async () => {
      const doc = await vscode.workspace.openTextDocument({ language: 'scansion', content: PROBLEMS });
      const editor = await vscode.window.showTextDocument(doc);
      const diagnostics = await waitFor('diagnostics', () => {
        const d = vscode.languages.getDiagnostics(doc.uri);
        return d.length >= 4 ? d : undefined;
      });
      const seen = diagnostics.map((d) => [d.range.start.line, d.severity, d.source]);
      assert.deepEqual(seen, [
        [at('Romo connects'), vscode.DiagnosticSeverity.Error, 'scansion'],
        [at('Romeo dances'), vscode.DiagnosticSeverity.Error, 'scansion'],
        [at('\t\t<body>hi</message>'), vscode.DiagnosticSeverity.Error, 'scansion'],
        [at('\t<iq type="get" to="${Romeo\'s JID}"><ping xmlns="urn:xmpp:ping"/></iq>'), vscode.DiagnosticSeverity.Warning, 'scansion'],
      ]);
      assert.match(diagnostics[0]!.message, /unknown character 'Romo'.*did you mean 'Romeo'/);
      assert.match(diagnostics[1]!.message, /unknown action 'dances' for Romeo/);
      assert.match(diagnostics[2]!.message, /not well-formed XML/);
      assert.match(diagnostics[3]!.message, /bad-request.*id/);
      assert.equal(diagnostics[0]!.range.start.character, 0);

      // Fixed, the problems go.
      await editor.edit((e) => {
        for (const [wrong, right] of [['Romo connects', 'Romeo disconnects'], ['Romeo dances', 'Romeo connects'], ['<body>hi</message>', '<body>hi</body></message>'], ['<iq type="get"', '<iq type="get" id="p1"']]) {
          const offset = doc.getText().indexOf(wrong);
          e.replace(new vscode.Range(doc.positionAt(offset), doc.positionAt(offset + wrong.length)), right);
        }
      });
      await waitFor('the diagnostics to clear', () => vscode.languages.getDiagnostics(doc.uri).length === 0);
    });

    it("completes character names at the start of a step line, and ${…} variables", async () => {
      const content = ['[Client] Romeo', '\tjid: romeo@localhost', '\tpassword: x', '', "[Component] Juliet's phone", '\tjid: phone.localhost', '\tpassword: s', '', '[Queue] Jobs', '\tlist: jobs', '', '---', '', 'Ro', 'Romeo sends:', '\t<message to="${'].join('\n');
      const doc = await vscode.workspace.openTextDocument({ language: 'scansion', content });
      await vscode.window.showTextDocument(doc);
      const labels = async (line: number, character: number, trigger?: string) => {
        const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, new vscode.Position(line, character), trigger);
        return list.items.filter((i) => i.kind === vscode.CompletionItemKind.Class || i.kind === vscode.CompletionItemKind.Variable).map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
      };
      const names = await labels(13, 2);
      assert.ok(names.includes('Romeo') && names.includes("Juliet's phone") && names.includes('Jobs'), names.join(', '));
      assert.deepEqual(await labels(1, 1), [], 'no character names inside a definition');
      const last = doc.lineCount - 1;
      const variables = await labels(last, doc.lineAt(last).text.length, '{');
      assert.deepEqual(variables.sort(), ["${Juliet's phone's JID}", "${Juliet's phone's full JID}", "${Romeo's JID}", "${Romeo's full JID}"]);
    });

    it('names the XEP or RFC of a namespace on hover', async () => {
      const doc = await vscode.workspace.openTextDocument({ language: 'scansion', content: PROBLEMS });
      await vscode.window.showTextDocument(doc);
      const line = at('\t<iq type="get" to="${Romeo\'s JID}"><ping xmlns="urn:xmpp:ping"/></iq>');
      const text = async (character: number) => {
        const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(line, character));
        return hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
      };
      const hover = await text(doc.lineAt(line).text.indexOf('urn:xmpp:ping') + 4);
      assert.match(hover, /\[XEP-0199\]\(https:\/\/xmpp\.org\/extensions\/xep-0199\.html\)\*\*: XMPP Ping/);
      assert.doesNotMatch(await text(doc.lineAt(line).text.indexOf('type="get"')), /XEP|RFC/, 'no namespace hover away from an xmlns');
      // Every namespace of the vocabulary has its specification beside it (SASL's is left out: see NAMESPACE_SPECS).
      const unnamed = Object.entries(vocabulary).filter(([name, ns]) => name.startsWith('NS_') && name !== 'NS_SASL' && typeof ns === 'string' && !vocabulary.NAMESPACE_SPECS[ns]);
      assert.deepEqual(unnamed, []);
    });
  });

  describe('scenario steps sent with Send This Step', () => {
    const SCRIPT = [
      '# Send This Step',
      '',
      '[Client] Romeo',
      '\tjid: romeo@localhost',
      '\tpassword: montague',
      '',
      '[Client] Juliet',
      '\tjid: juliet@localhost/balcony',
      '\tpassword: capulet',
      '',
      '[Queue] Jobs',
      '\tlist: scenario:jobs',
      '',
      '-----',
      '',
      'Romeo connects',
      '',
      'Romeo sends:',
      '\t<message to="${Juliet\'s full JID}" type="chat">',
      '\t\t<body>Send this step</body>',
      '\t</message>',
      '',
      'Jobs pushes:',
      '\t<job from="${Romeo\'s JID}"/>',
      '',
      'Romeo receives:',
      '\t<message/>',
      '',
    ].join('\n');
    const SENDS = SCRIPT.split('\n').indexOf('Romeo sends:') + 1;
    const PUSHES = SCRIPT.split('\n').indexOf('Jobs pushes:') + 1;
    let uri: vscode.Uri;
    let domain = '';
    let service = '';
    const peers: Client[] = [];
    const received: Element[] = [];

    const connect = async (username: string, resource: string, password: string) => {
      const c = client({ service, domain, username, password, resource });
      c.on('error', () => undefined);
      peers.push(c);
      await c.start();
      await c.send(xml('presence'));
      return c;
    };
    const send = (line: number) => vscode.commands.executeCommand<SentStep | { error: string }>('xmppSandbox.sendScenarioStep', uri, line);

    before(async function () {
      this.timeout(60_000);
      const folder = vscode.workspace.workspaceFolders![0]!;
      uri = vscode.Uri.file(join(folder.uri.fsPath, 'send-step.scs'));
      writeFileSync(uri.fsPath, SCRIPT);
      await setSettings({ 'ports.c2s': 0, 'ports.websocket': 0, 'ports.component': 0, 'ports.queue': 0, dataDirectory: mkdtempSync(join(tmpdir(), 'xmpp-sandbox-scenario-')) });
    });

    after(async () => {
      for (const p of peers) await p.stop().catch(() => undefined);
      await vscode.commands.executeCommand('xmppSandbox.stop');
      rmSync(uri.fsPath, { force: true });
    });

    it('says the sandbox must be running first', async () => {
      await vscode.commands.executeCommand('xmppSandbox.stop');
      const r = await send(SENDS);
      assert.ok('error' in r, JSON.stringify(r));
      assert.match(r.error, /not running/);
    });

    it("sends the step's stanza as the character, resolving ${…}, to a real client", async function () {
      this.timeout(60_000);
      const a = await api();
      const status = await vscode.commands.executeCommand<SandboxStatus | undefined>('xmppSandbox.start', { notify: false });
      assert.ok(status?.endpoints, `start failed: ${a.controller.lastReport?.message}`);
      ({ domain, c2s: service } = status.endpoints);
      const juliet = await connect('juliet', 'balcony', status.endpoints.password);
      juliet.on('stanza', (el: Element) => {
        if (el.is('message')) received.push(el);
      });

      // Romeo has no session: injected from his declared JID.
      const first = await send(SENDS + 1);
      assert.ok(!('error' in first), JSON.stringify(first));
      assert.equal(first.asSession, false);
      assert.equal(first.as, `romeo@${domain}`);
      assert.match(first.text, new RegExp(`to="juliet@${domain.replace(/\./g, '\\.')}/balcony"`));
      assert.equal(first.outcome, `delivered to juliet@${domain}/balcony`);
      const m1 = await waitFor('the first message at Juliet', () => received[0]);
      assert.equal(m1.getChildText('body'), 'Send this step');
      assert.equal(m1.attrs.from, `romeo@${domain}`);

      // Romeo connected (a real client): sent as his session, which stamps its full JID.
      await connect('romeo', 'desk', status.endpoints.password);
      const second = await send(SENDS);
      assert.ok(!('error' in second), JSON.stringify(second));
      assert.equal(second.asSession, true);
      assert.equal(second.as, `romeo@${domain}/desk`);
      const m2 = await waitFor('the second message at Juliet', () => received[1]);
      assert.equal(m2.attrs.from, `romeo@${domain}/desk`);
    });

    it("pushes a queue character's item onto its list in the sandbox's queue", async () => {
      const a = await api();
      const r = await send(PUSHES);
      assert.ok(!('error' in r), JSON.stringify(r));
      const domainOf = a.sandbox.status!.endpoints!.domain;
      assert.deepEqual(await a.sandbox.call('queue.peek', { key: 'scenario:jobs' }), [`<job from="romeo@${domainOf}"/>`]);
    });

    it('refuses a step that sends nothing', async () => {
      const r = await send(SCRIPT.split('\n').indexOf('Romeo receives:') + 1);
      assert.ok('error' in r, JSON.stringify(r));
      assert.match(r.error, /not in a 'sends:' or 'pushes:' step/);
    });
  });

  describe('Run Scenario while the sandbox runs', () => {
    let dir = '';

    before(async () => {
      const folder = vscode.workspace.workspaceFolders?.[0];
      assert.ok(folder, 'the suite runs in a workspace folder');
      dir = join(folder.uri.fsPath, 'scenarios-live');
      mkdirSync(dir, { recursive: true });
      await setSettings({ 'ports.c2s': 0, 'ports.websocket': 0, 'ports.component': 0, 'ports.queue': 0, dataDirectory: mkdtempSync(join(tmpdir(), 'xmpp-sandbox-live-')) });
    });

    after(async () => {
      await vscode.commands.executeCommand('xmppSandbox.stop');
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      rmSync(dir, { recursive: true, force: true });
    });

    it("runs the script inside the extension's sandbox, tags its stanzas, and Show in Inspector filters the inspector to the run", async function () {
      this.timeout(90_000);
      const a = await api();
      const status = await vscode.commands.executeCommand<SandboxStatus | undefined>('xmppSandbox.start', { notify: false });
      assert.ok(status?.endpoints, `start failed: ${a.controller.lastReport?.message}`);
      const uri = vscode.Uri.file(join(dir, 'live.scs'));
      writeFileSync(uri.fsPath, GOOD);
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));

      // As a person: the Run Scenario CodeLens on the title line.
      const lens = await waitFor('the Run Scenario CodeLens', async () => {
        const l = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
        return l?.find((x) => x.command?.command === 'xmppSandbox.runScenario');
      });
      const result = await vscode.commands.executeCommand<ScenarioRunResult>(lens.command!.command, ...(lens.command!.arguments ?? []));
      assert.equal(result.error, undefined, result.error);
      assert.equal(result.exitCode, 0);
      const [script] = result.report?.scripts ?? [];
      assert.equal(script?.status, 'pass', JSON.stringify(script));
      assert.ok(script.run, 'a run in the sandbox names its tag');
      assert.deepEqual(
        result.outcomes.map((o) => [o.label, o.status]),
        GOOD_PASSED,
        'the same marks as a run on an embedded sandbox',
      );

      // The stanzas are in the extension's sandbox's trace, with the run's tag.
      const tagged = (await a.sandbox.call('trace.snapshot', {})).filter((e) => e.type === 'arrival' && e.run === script.run);
      assert.ok(tagged.length > 0, 'the run left tagged arrivals in the sandbox the inspector watches');
      assert.ok(tagged.some((e) => e.type === 'arrival' && e.from?.startsWith(`romeo@${status.endpoints!.domain}/`)));

      // Show in Inspector (the result's action): the inspector opens filtered to the run, and holds its stanzas.
      const shown = await vscode.commands.executeCommand<{ filter: string; runEvents: number }>('xmppSandbox.showRunInInspector', script.run);
      assert.equal(shown.filter, `run:${script.run}`);
      assert.equal(shown.runEvents, tagged.length, "the inspector's history holds every tagged arrival");
      await assert.rejects(Promise.resolve(vscode.commands.executeCommand('xmppSandbox.showRunInInspector')), /give the run tag of a scenario run/);
    });
  });
}
