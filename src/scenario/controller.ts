// Scenario scripts (.scs) in the Test Explorer: one test item per script in the workspace
// (found with findFiles when the Test Explorer first asks, kept current by a FileSystemWatcher
// and by edits to open documents),
// its steps as children with their line ranges (sandbox/scenario/parser.ts, pure, parses them
// here). The Run profile runs the selected scripts and marks each step passed, failed
// (TestMessage.diff at the step's line) or skipped, with its duration. While the extension's
// sandbox runs, each script runs inside it, against it (control `scenario.run`,
// sandbox/scenario/live.ts), so its stanzas are in the inspector, tagged with the run: the
// result offers Show in Inspector (`run:<tag>`). While it is stopped, the bundled CLI runs
// them on embedded sandboxes of their own (`dist/sandbox.js test <files> --json`, in a Node
// process of VS Code's own Electron). Both give the CLI's JSON report, handled by one path. The CodeLens "Run Scenario" on a script's title line runs it through the same
// controller (xmppSandbox.runScenario); "Run to Here" on each step runs the script up to and
// including that step (the CLI's --until-line), and "Send This Step" on each sends: / pushes:
// step sends it into the running sandbox (./sendStep.ts). After a run, each step's line ends
// with its result and time (./decorations.ts).

import { spawn } from 'node:child_process';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseScenario, stepAt, type Script } from '../../sandbox/scenario/parser';
import type { JsonReport, JsonScript, JsonStep } from '../../sandbox/scenario/report';
import { COMMANDS } from '../ids';
import type { SandboxProcess } from '../sandbox/sandboxProcess';
import { StepResultDecorations } from './decorations';

export const SCANSION_LANGUAGE = 'scansion';
const CONTROLLER_ID = 'xmppSandbox.scenarios';

/** One finished run: the CLI's report (or why it could not run), for callers and the tests. */
export interface ScenarioRunResult {
  /** The scripts asked for, as file system paths. */
  files: string[];
  /** The CLI's JSON report; undefined when the CLI did not produce one. */
  report?: JsonReport;
  /** Why there is no report (the CLI crashed, printed no JSON, or the run was cancelled). */
  error?: string;
  exitCode: number | null;
  /** How each test item was marked (scripts and steps), in order. */
  outcomes: ItemOutcome[];
}

/** One test item's mark in a run, with the messages it was given (1-based lines). */
export interface ItemOutcome {
  id: string;
  label: string;
  status: 'passed' | 'failed' | 'skipped' | 'errored';
  durationMs?: number;
  messages: { message: string; line?: number; expected?: string; actual?: string }[];
}

/** Records what a TestRun is told, for ScenarioRunResult.outcomes. */
function recording(run: vscode.TestRun, outcomes: ItemOutcome[]) {
  const note = (item: vscode.TestItem, status: ItemOutcome['status'], messages: vscode.TestMessage | readonly vscode.TestMessage[] = [], durationMs?: number) =>
    outcomes.push({
      id: item.id,
      label: item.label,
      status,
      ...(durationMs !== undefined && { durationMs }),
      messages: (Array.isArray(messages) ? messages : [messages as vscode.TestMessage]).map((m: vscode.TestMessage) => ({
        message: typeof m.message === 'string' ? m.message : m.message.value,
        ...(m.location && { line: m.location.range.start.line + 1 }),
        ...(m.expectedOutput !== undefined && { expected: m.expectedOutput }),
        ...(m.actualOutput !== undefined && { actual: m.actualOutput }),
      })),
    });
  return {
    passed: (item: vscode.TestItem, durationMs?: number) => {
      run.passed(item, durationMs);
      note(item, 'passed', [], durationMs);
    },
    failed: (item: vscode.TestItem, message: vscode.TestMessage | readonly vscode.TestMessage[], durationMs?: number) => {
      run.failed(item, message, durationMs);
      note(item, 'failed', message, durationMs);
    },
    errored: (item: vscode.TestItem, message: vscode.TestMessage | readonly vscode.TestMessage[]) => {
      run.errored(item, message);
      note(item, 'errored', message);
    },
    skipped: (item: vscode.TestItem) => {
      run.skipped(item);
      note(item, 'skipped');
    },
    appendOutput: (text: string, item?: vscode.TestItem) => run.appendOutput(text, undefined, item),
  };
}
type Recorder = ReturnType<typeof recording>;

const zeroBased = (line: number) => Math.max(0, line - 1);

/** The active editor's cursor line (1-based), when it shows `uri` (or any script, with none given). */
export function cursorLine(uri?: vscode.Uri): number | undefined {
  const ed = vscode.window.activeTextEditor;
  return ed && (!uri || ed.document.uri.toString() === uri.toString()) ? ed.selection.active.line + 1 : undefined;
}

export class ScenarioTests implements vscode.Disposable {
  readonly controller: vscode.TestController;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly finished = new vscode.EventEmitter<ScenarioRunResult>();
  /** Fires when a run ends, with its results. */
  readonly onDidFinishRun = this.finished.event;
  /** The last run's results (the Test API gives no read access to them). */
  lastRun: ScenarioRunResult | undefined;
  private readonly codeLensChanged = new vscode.EventEmitter<void>();
  /** The last run's ✓/✗ and times at the end of the step lines. */
  readonly decorations = new StepResultDecorations();

  constructor(
    private readonly cliScript: string,
    private readonly log: vscode.LogOutputChannel,
    /** The extension's sandbox: scripts run inside it while it runs. */
    private readonly sandbox: Pick<SandboxProcess, 'running' | 'call'>,
  ) {
    this.controller = vscode.tests.createTestController(CONTROLLER_ID, 'XMPP Scenarios');
    this.controller.resolveHandler = async (item) => {
      if (!item) await this.discoverAll();
      else if (item.uri) await this.refreshFromDisk(item.uri);
    };
    this.controller.refreshHandler = () => this.discoverAll();
    this.controller.createRunProfile('Run', vscode.TestRunProfileKind.Run, (request, token) => this.run(request, token).then(() => undefined), true);

    const watcher = vscode.workspace.createFileSystemWatcher('**/*.scs');
    watcher.onDidCreate((uri) => void this.refreshFromDisk(uri), null, this.disposables);
    watcher.onDidChange((uri) => {
      if (!vscode.workspace.textDocuments.some((d) => d.uri.toString() === uri.toString() && d.isDirty)) void this.refreshFromDisk(uri);
    }, null, this.disposables);
    watcher.onDidDelete((uri) => this.controller.items.delete(uri.toString()), null, this.disposables);
    vscode.workspace.onDidOpenTextDocument((d) => this.refreshFromDocument(d), null, this.disposables);
    vscode.workspace.onDidChangeTextDocument((e) => this.refreshFromDocument(e.document), null, this.disposables);
    for (const d of vscode.workspace.textDocuments) this.refreshFromDocument(d);

    const lenses: vscode.CodeLensProvider = {
      onDidChangeCodeLenses: this.codeLensChanged.event,
      provideCodeLenses: (doc) => {
        const script = parseScenario(doc.getText(), doc.uri.fsPath);
        const title = script.nodes.find((n) => n.type === 'title');
        const line = title ? zeroBased(title.line) : 0;
        const at = (n: number) => new vscode.Range(zeroBased(n), 0, zeroBased(n), 0);
        return [
          new vscode.CodeLens(new vscode.Range(line, 0, line, 0), { title: '$(run) Run Scenario', command: COMMANDS.runScenario, arguments: [doc.uri] }),
          ...script.actions.flatMap((a) => [
            new vscode.CodeLens(at(a.line), { title: 'Run to Here', command: COMMANDS.runScenarioToHere, arguments: [doc.uri, a.line] }),
            ...(a.verb === 'sends' || a.verb === 'pushes' ? [new vscode.CodeLens(at(a.line), { title: 'Send This Step', command: COMMANDS.sendScenarioStep, arguments: [doc.uri, a.line] })] : []),
          ]),
        ];
      },
    };
    this.disposables.push(
      watcher,
      vscode.languages.registerCodeLensProvider({ language: SCANSION_LANGUAGE }, lenses),
      vscode.commands.registerCommand(COMMANDS.runScenario, (uri?: vscode.Uri) => this.runScenarioCommand(uri)),
      vscode.commands.registerCommand(COMMANDS.runScenarioToHere, (uri?: vscode.Uri, line?: number) => this.runScenarioCommand(uri, line ?? cursorLine(uri) ?? 0)),
      this.controller,
      this.decorations,
      this.finished,
      this.codeLensChanged,
    );
    // No search at activation (it stays cheap): VS Code calls resolveHandler(undefined), which
    // finds the workspace's scripts, when the Test Explorer first shows this controller.
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  /** Every .scs file of the workspace as a test item. */
  async discoverAll(): Promise<void> {
    const files = await vscode.workspace.findFiles('**/*.scs', '**/node_modules/**');
    await Promise.all(files.map((uri) => this.refreshFromDisk(uri)));
  }

  private async refreshFromDisk(uri: vscode.Uri): Promise<vscode.TestItem | undefined> {
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (open) return this.update(uri, open.getText());
    try {
      return this.update(uri, new TextDecoder().decode(await vscode.workspace.fs.readFile(uri)));
    } catch {
      this.controller.items.delete(uri.toString());
      return undefined;
    }
  }

  private refreshFromDocument(doc: vscode.TextDocument): void {
    if (doc.uri.scheme !== 'file' || (doc.languageId !== SCANSION_LANGUAGE && !doc.uri.fsPath.endsWith('.scs'))) return;
    this.update(doc.uri, doc.getText());
  }

  /** The script's item, created or updated from its text: steps as children with their ranges. */
  private update(uri: vscode.Uri, text: string): vscode.TestItem {
    const script: Script = parseScenario(text, uri.fsPath);
    let item = this.controller.items.get(uri.toString());
    if (!item) {
      item = this.controller.createTestItem(uri.toString(), script.title ?? path.basename(uri.fsPath), uri);
      this.controller.items.add(item);
    }
    item.label = script.title ?? path.basename(uri.fsPath);
    item.description = vscode.workspace.asRelativePath(uri, false);
    item.range = new vscode.Range(0, 0, 0, 0);
    item.error = script.errors.length ? script.errors.map((e) => `line ${e.line}: ${e.message}`).join('\n') : undefined;
    const children = script.actions.map((a, i) => {
      const child = this.controller.createTestItem(`${uri.toString()}#${i}`, a.text, uri);
      child.range = new vscode.Range(zeroBased(a.line), 0, zeroBased(a.endLine), Number.MAX_SAFE_INTEGER);
      child.description = `line ${a.line}`;
      return child;
    });
    item.children.replace(children);
    this.codeLensChanged.fire();
    return item;
  }

  /**
   * xmppSandbox.runScenario: runs a script (the active editor's when no URI is given) through
   * the controller; with `untilLine` (xmppSandbox.runScenarioToHere), up to and including the
   * step on that line (1-based).
   */
  private async runScenarioCommand(uri?: vscode.Uri, untilLine?: number): Promise<ScenarioRunResult | undefined> {
    const target = uri ?? vscode.window.activeTextEditor?.document.uri;
    if (!target || !target.fsPath.endsWith('.scs')) {
      void vscode.window.showWarningMessage('Run Scenario: open a scenario script (.scs) first.');
      return undefined;
    }
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === target.toString());
    if (doc?.isDirty) await doc.save();
    const item = (await this.refreshFromDisk(target)) ?? this.controller.items.get(target.toString());
    if (!item) return undefined;
    let step: vscode.TestItem | undefined;
    if (untilLine !== undefined) {
      const action = stepAt(parseScenario(doc?.getText() ?? new TextDecoder().decode(await vscode.workspace.fs.readFile(target)), target.fsPath), untilLine);
      item.children.forEach((c) => {
        if (action && c.range?.start.line === zeroBased(action.line)) step = c;
      });
      if (!action || !step) {
        void vscode.window.showWarningMessage(`Run to Here: line ${untilLine} is not in a step.`);
        return undefined;
      }
    }
    const cts = new vscode.CancellationTokenSource();
    try {
      return await this.run(new vscode.TestRunRequest([step ?? item]), cts.token, step && untilLine);
    } finally {
      cts.dispose();
    }
  }

  /** The scripts a request names (a step selects its script), minus the excluded ones. */
  private scriptsOf(request: vscode.TestRunRequest): vscode.TestItem[] {
    const picked = new Map<string, vscode.TestItem>();
    const add = (item: vscode.TestItem) => {
      const script = item.parent ?? item;
      picked.set(script.id, script);
    };
    if (request.include) request.include.forEach(add);
    else this.controller.items.forEach(add);
    for (const ex of request.exclude ?? []) if (!ex.parent) picked.delete(ex.id);
    return [...picked.values()].filter((i) => i.uri);
  }

  /** Runs the request's scripts; with `untilLine`, each only up to the step on that line. */
  async run(request: vscode.TestRunRequest, token: vscode.CancellationToken, untilLine?: number): Promise<ScenarioRunResult> {
    const scripts = this.scriptsOf(request);
    const run = this.controller.createTestRun(request, 'Scenario run', true);
    const files = scripts.map((s) => s.uri!.fsPath);
    const outcomes: ItemOutcome[] = [];
    const rec = recording(run, outcomes);
    let result: ScenarioRunResult = { files, exitCode: null, outcomes };
    try {
      for (const s of scripts) {
        run.started(s);
        s.children.forEach((c) => run.enqueued(c));
      }
      if (scripts.length === 0) return (result = { files, exitCode: null, error: 'no scenario scripts to run', outcomes });
      const ran = this.sandbox.running ? this.runInSandbox(files, token, untilLine) : this.spawnCli(files, run, token, untilLine);
      result = { ...(await ran), outcomes };
      if (result.report) {
        this.apply(result.report, scripts, rec);
        this.decorations.show(result.report);
        this.offerInspector(result.report, scripts, rec);
      }
      else {
        const message = new vscode.TestMessage(result.error ?? 'the scenario run failed');
        for (const s of scripts) rec.errored(s, message);
      }
      return result;
    } finally {
      run.end();
      this.lastRun = result;
      this.finished.fire(result);
    }
  }

  /** Runs each script inside the running sandbox (control scenario.run), one after the other; their reports as one. */
  private async runInSandbox(files: string[], token: vscode.CancellationToken, untilLine?: number): Promise<Omit<ScenarioRunResult, 'outcomes'>> {
    const reports: JsonReport[] = [];
    for (const file of files) {
      // A script runs to its end once asked: cancelling stops before the next one.
      if (token.isCancellationRequested) return { files, exitCode: null, error: 'cancelled' };
      this.log.info(`scenario run in the sandbox: ${file}${untilLine === undefined ? '' : ` to line ${untilLine}`}`);
      try {
        reports.push(await this.sandbox.call('scenario.run', { file, ...(untilLine !== undefined && { untilLine }) }));
      } catch (err) {
        return { files, exitCode: null, error: `the sandbox could not run ${path.basename(file)}: ${(err as Error).message}` };
      }
    }
    const sum = (k: 'passed' | 'failed' | 'skipped') => reports.reduce((n, r) => n + r[k], 0);
    const report: JsonReport = { version: reports[0]!.version, passed: sum('passed'), failed: sum('failed'), skipped: sum('skipped'), scripts: reports.flatMap((r) => r.scripts) };
    return { files, exitCode: report.failed ? 1 : 0, report };
  }

  /**
   * A run inside the sandbox tagged its stanzas: the test output names each script's tag, and a
   * notification offers the last one in the inspector (Show in Inspector: `run:<tag>`).
   */
  private offerInspector(report: JsonReport, scripts: readonly vscode.TestItem[], rec: Recorder): void {
    const tagged = report.scripts.filter((s) => s.run);
    for (const s of tagged) {
      const item = scripts.find((i) => path.resolve(i.uri!.fsPath) === path.resolve(s.file));
      rec.appendOutput(`${path.basename(s.file)}: its stanzas are in the Stanza Inspector, filter run:${s.run}\r\n`, item);
    }
    const last = tagged.at(-1);
    if (!last) return;
    const show = 'Show in Inspector';
    const outcome = last.status === 'pass' ? 'passed' : last.status === 'fail' ? 'failed' : 'was skipped';
    void vscode.window.showInformationMessage(`Scenario ${path.basename(last.file)} ${outcome}; its stanzas are tagged run:${last.run}.`, show).then((picked) => {
      if (picked === show) void vscode.commands.executeCommand(COMMANDS.showRunInInspector, last.run);
    });
  }

  private spawnCli(files: string[], run: vscode.TestRun, token: vscode.CancellationToken, untilLine?: number): Promise<Omit<ScenarioRunResult, 'outcomes'>> {
    const cwd = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(files[0]!))?.uri.fsPath ?? path.dirname(files[0]!);
    const args = [this.cliScript, 'test', ...files, '--json', ...(untilLine === undefined ? [] : ['--until-line', String(untilLine)])];
    this.log.info(`scenario run: ${args.slice(1).join(' ')}`);
    return new Promise((resolve) => {
      const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        err += d;
        run.appendOutput(d.replace(/\r?\n/g, '\r\n'));
      });
      const cancel = token.onCancellationRequested(() => child.kill());
      const done = (exitCode: number | null, spawnError?: Error) => {
        cancel.dispose();
        if (token.isCancellationRequested) return resolve({ files, exitCode, error: 'cancelled' });
        if (spawnError) return resolve({ files, exitCode, error: `could not start the scenario runner: ${spawnError.message}` });
        const report = parseReport(out);
        if (report) return resolve({ files, exitCode, report });
        resolve({ files, exitCode, error: `the scenario runner exited with ${exitCode} and no report${err ? `:\n${err.trim()}` : ''}${out ? `\n${out.trim()}` : ''}` });
      };
      child.once('error', (e) => done(null, e));
      child.once('close', (code) => done(code));
    });
  }

  /** Marks the items from the report: each step with its status and duration, the script likewise. */
  private apply(report: JsonReport, scripts: readonly vscode.TestItem[], run: Recorder): void {
    const byPath = new Map(report.scripts.map((s) => [path.resolve(s.file), s]));
    for (const item of scripts) {
      const uri = item.uri!;
      const r: JsonScript | undefined = byPath.get(path.resolve(uri.fsPath));
      if (!r) {
        run.errored(item, new vscode.TestMessage('the scenario runner did not report this script'));
        continue;
      }
      if (r.errors.length) {
        run.errored(
          item,
          r.errors.map((e) => located(new vscode.TestMessage(e.message), uri, e.line)),
        );
        item.children.forEach((c) => run.skipped(c));
        continue;
      }
      const failures: vscode.TestMessage[] = [];
      for (const step of r.steps) {
        const child = item.children.get(`${uri.toString()}#${step.index}`) ?? this.stepItem(item, step);
        if (step.status === 'pass') run.passed(child, step.durationMs);
        else if (step.status === 'skip') run.skipped(child);
        else {
          const message = stepMessage(step, uri);
          failures.push(message);
          run.failed(child, message, step.durationMs);
        }
      }
      if (r.status === 'pass') run.passed(item, r.durationMs);
      else if (r.status === 'skip') {
        if (r.reason) run.appendOutput(`${path.basename(uri.fsPath)}: skipped: ${r.reason}\r\n`, item);
        run.skipped(item);
      } else run.failed(item, failures.length ? failures : [new vscode.TestMessage(r.reason ?? 'failed')], r.durationMs);
    }
  }

  /** A step the item did not list (the file changed since it was parsed): added from the report. */
  private stepItem(parent: vscode.TestItem, step: JsonStep): vscode.TestItem {
    const child = this.controller.createTestItem(`${parent.uri!.toString()}#${step.index}`, step.text, parent.uri);
    child.range = new vscode.Range(zeroBased(step.line), 0, zeroBased(step.endLine), Number.MAX_SAFE_INTEGER);
    parent.children.add(child);
    return child;
  }
}

function located(message: vscode.TestMessage, uri: vscode.Uri, line: number): vscode.TestMessage {
  message.location = new vscode.Location(uri, new vscode.Position(zeroBased(line), 0));
  return message;
}

/** A failed step's message: a diff of expected against received when both are known. */
export function stepMessage(step: JsonStep, uri: vscode.Uri): vscode.TestMessage {
  const text = `line ${step.line}: ${step.message ?? 'failed'}`;
  const message =
    step.expected !== undefined && step.received !== undefined
      ? vscode.TestMessage.diff(text, step.expected, step.received)
      : new vscode.TestMessage(step.diff ? `${text}\n${step.diff}` : text);
  return located(message, uri, step.line);
}

/** The CLI's JSON report: its last line that parses as one (anything a library printed before it is ignored). */
export function parseReport(stdout: string): JsonReport | undefined {
  const lines = stdout.trim().split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    if (!line.startsWith('{')) continue;
    try {
      const v = JSON.parse(line) as JsonReport;
      if (v && typeof v === 'object' && Array.isArray(v.scripts)) return v;
    } catch {
      /* not the report */
    }
  }
  return undefined;
}
