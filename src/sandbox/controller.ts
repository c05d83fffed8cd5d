// Starts and stops the sandbox the way a person expects: settings + secrets → overrides,
// notifications with actions, a clear message for a port in use, crash reports with the last
// log lines and a Restart action, the xmppSandbox.state context key, restart on settings change.

import * as vscode from 'vscode';
import { PortInUseError, StartError, type SandboxStatus } from '../../sandbox/control/api';
import { lastProblemLine } from './childLog';
import { componentSecret, externalQueuePassword } from './secrets';
import { buildOverrides, needsRestart, SETTING_FOR_PORT, settingProblems, withPort, type SettingSchema } from './settings';
import { COMMANDS, CONTEXT_KEYS, SETTINGS_SECTION } from '../ids';
import type { CrashInfo, SandboxProcess } from './sandboxProcess';

/** The port-in-use notification's action that moves the sandbox to any free port. */
export const USE_FREE_PORT = 'Use a Free Port';

/** Where "Use a Free Port" applies: the next run only, or saved in settings for every run. */
export type FreePortScope = 'run' | 'save';

export interface StartOptions {
  /** Show the "running" notification (the tests and autoStart pass false). */
  notify?: boolean;
}

/** A message shown to the user, kept so the tests can read what a person would see. */
export interface Report {
  severity: 'info' | 'warning' | 'error';
  message: string;
  actions: string[];
}

export class SandboxController implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private readonly reportEmitter = new vscode.EventEmitter<Report>();
  /** Every notification this controller shows (start, port in use, crash, restart offer). */
  readonly onDidReport = this.reportEmitter.event;
  lastReport: Report | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    readonly sandbox: SandboxProcess,
    private readonly log: vscode.LogOutputChannel,
  ) {
    void this.setContext();
    this.disposables.push(
      sandbox.onDidChangeState(() => void this.setContext()),
      sandbox.onDidCrash((c) => this.onCrash(c)),
      vscode.workspace.onDidChangeConfiguration((e) => this.onConfigChange(e)),
    );
  }

  /** Shows a notification with actions; resolves with the action picked. */
  private show(severity: Report['severity'], message: string, ...actions: string[]): Thenable<string | undefined> {
    const r: Report = { severity, message, actions };
    this.lastReport = r;
    this.reportEmitter.fire(r);
    const fn = severity === 'error' ? vscode.window.showErrorMessage : severity === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    return fn(message, ...actions);
  }

  private setContext(): Thenable<unknown> {
    return vscode.commands.executeCommand('setContext', CONTEXT_KEYS.state, this.sandbox.state);
  }

  /** The component secret, read from SecretStorage once per session. */
  private secret: string | undefined;

  /** Ports set for the next run only ("Use a Free Port", this run only): setting → port. */
  private nextRunPorts = new Map<string, number>();

  async overrides() {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const fromSettings = buildOverrides({
      config: vscode.workspace.getConfiguration(SETTINGS_SECTION),
      globalStoragePath: this.context.globalStorageUri.fsPath,
      workspaceFolder: folder?.scheme === 'file' ? folder.fsPath : undefined,
      componentSecret: (this.secret ??= await componentSecret(this.context.secrets)),
      externalQueuePassword: await externalQueuePassword(this.context.secrets),
    });
    let o = fromSettings;
    for (const [setting, port] of this.nextRunPorts) o = withPort(o, setting, port);
    this.nextRunPorts.clear();
    return o;
  }

  /**
   * The first xmppSandbox.* setting whose value breaks its schema, reported with Open Settings
   * filtered to it; true when all are valid. Runs before Start, and before Restart stops anything.
   */
  private settingsValid(action: 'start' | 'restart'): boolean {
    const properties = (this.context.extension.packageJSON as { contributes?: { configuration?: { properties?: Record<string, SettingSchema> } } }).contributes?.configuration?.properties ?? {};
    const [problem] = settingProblems(properties, vscode.workspace.getConfiguration(SETTINGS_SECTION));
    if (!problem) return true;
    const outcome = action === 'restart' ? 'The running sandbox was left running.' : 'The XMPP sandbox did not start.';
    this.log.error(`${problem.message} ${outcome}`);
    void this.show('error', `${problem.message} ${outcome}`, 'Open Settings').then((pick) => {
      if (pick) void vscode.commands.executeCommand('workbench.action.openSettings', problem.setting);
    });
    return false;
  }

  private pendingStart: Promise<SandboxStatus | undefined> | undefined;

  /** Starts the sandbox; resolves with its status, or undefined when it could not start (already reported). */
  start(opts: StartOptions = {}): Promise<SandboxStatus | undefined> {
    // A second Start while settings and secrets are read joins the first one.
    this.pendingStart ??= this.doStart(opts).finally(() => (this.pendingStart = undefined));
    return this.pendingStart;
  }

  private async doStart(opts: StartOptions): Promise<SandboxStatus | undefined> {
    const sb = this.sandbox;
    if (sb.running) return sb.status ?? undefined;
    if (sb.state !== 'stopped') {
      void this.show('info', `The XMPP sandbox is ${sb.state}.`);
      return undefined;
    }
    if (!this.settingsValid('start')) return undefined;
    const t0 = Date.now();
    const overrides = await this.overrides();
    await vscode.workspace.fs.createDirectory(vscode.Uri.file(overrides.dataDir!)).then(undefined, () => undefined);
    this.log.debug(`Settings, secrets and data directory ready in ${Date.now() - t0} ms`);
    try {
      const status = await sb.start(overrides);
      const e = status.endpoints;
      if (opts.notify !== false && e) {
        void this.show('info', `XMPP sandbox running: ${e.c2s} (domain ${e.domain})`, 'Copy Connection Settings', 'Open Stanza Inspector').then((pick) => {
            if (pick === 'Copy Connection Settings') void vscode.commands.executeCommand(COMMANDS.copyConnectionSettings);
            if (pick === 'Open Stanza Inspector') void vscode.commands.executeCommand(COMMANDS.openInspector);
          });
      }
      return status;
    } catch (err) {
      this.reportStartError(err);
      return undefined;
    }
  }

  private reportStartError(err: unknown): void {
    if (err instanceof StartError && err.code === 'ESTOPPED') {
      this.log.info('Start cancelled by Stop');
      return;
    }
    if (err instanceof PortInUseError) {
      // The listener that failed named its config path; the setting behind it is one lookup away.
      const setting = SETTING_FOR_PORT[err.setting];
      // Say what happened and both ways out: free the port, or move the sandbox off it.
      const msg = `Port ${err.port} is already in use by another program, so the XMPP sandbox did not start. Stop that program, or set ${setting} to another port (0 picks a free one).`;
      this.log.error(msg);
      void this.show('error', msg, USE_FREE_PORT, 'Open Settings').then(async (pick) => {
        if (pick === USE_FREE_PORT) {
          const scope = await askFreePortScope(setting);
          if (scope) void this.useFreePort(setting, scope);
        } else if (pick) void vscode.commands.executeCommand('workbench.action.openSettings', setting);
      });
      return;
    }
    const message = (err as Error).message ?? String(err);
    const lines = err instanceof StartError ? err.lastLines : [];
    this.log.error(`The XMPP sandbox could not start: ${message}`);
    const problem = lastProblemLine(lines);
    void this.show('error', `The XMPP sandbox could not start: ${message}${problem && !message.includes(problem) ? `\nLast error: ${problem}` : ''}`, 'Show Log', 'Open Settings').then((pick) => {
        if (pick === 'Show Log') this.log.show(true);
        if (pick === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', SETTINGS_SECTION);
      });
  }

  /**
   * Starts on any free port instead of the one a setting names: for this run only (the setting
   * is left as it is), or by saving 0 to the setting where it was set (every run). Says which.
   */
  async useFreePort(setting: string, scope: FreePortScope = 'save'): Promise<SandboxStatus | undefined> {
    const key = setting.slice(SETTINGS_SECTION.length + 1);
    const config = vscode.workspace.getConfiguration(SETTINGS_SECTION);
    let said: string;
    if (scope === 'run') {
      this.nextRunPorts.set(setting, 0);
      said = `for this run only: ${setting} still says ${config.get<number>(key)}`;
    } else {
      const where = config.inspect(key);
      const workspace = where?.workspaceValue !== undefined;
      await config.update(key, 0, workspace ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global);
      said = `saved: ${setting} is now 0 in your ${workspace ? 'workspace' : 'user'} settings, so every start picks a free port`;
    }
    this.log.info(`Use a Free Port (${scope}) for ${setting}`);
    const status = await this.start({ notify: false });
    if (status?.endpoints) void this.show('info', `XMPP sandbox running on a free port (${status.endpoints.c2s}, queue ${status.endpoints.queue ?? 'off'}), ${said}.`, 'Copy Connection Settings');
    return status;
  }

  private onCrash(c: CrashInfo): void {
    const how = c.signal ? `signal ${c.signal}` : `exit code ${c.exitCode}`;
    this.log.error(`The XMPP sandbox crashed (${how}). Last log lines:\n${c.lastLines.join('\n')}`);
    // A notification shows one paragraph: the last error line, if any, not a wall of info lines.
    const problem = lastProblemLine(c.lastLines);
    void this.show('error', `The XMPP sandbox crashed (${how}).${problem ? ` Last error: ${problem}` : ''}\nRestart it, or Show Log for its last lines.`, 'Restart', 'Show Log').then((pick) => {
      if (pick === 'Restart') void this.start();
      if (pick === 'Show Log') this.log.show(true);
    });
  }

  async stop(): Promise<void> {
    await this.sandbox.stop();
  }

  async restart(opts: StartOptions = {}): Promise<SandboxStatus | undefined> {
    // A bad setting must not cost the user a working sandbox: check before stopping it.
    if (!this.settingsValid('restart')) return undefined;
    await this.sandbox.stop();
    return this.start(opts);
  }

  private onConfigChange(e: vscode.ConfigurationChangeEvent): void {
    if (!this.sandbox.running || !needsRestart(e)) return;
    void this.show('info', 'XMPP Sandbox settings changed. Restart the sandbox to apply them?', 'Restart').then((pick) => {
      if (pick === 'Restart') void this.restart();
    });
  }

  dispose(): void {
    this.nextRunPorts.clear();
    this.reportEmitter.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/** Asks where "Use a Free Port" applies; undefined when the person dismissed the question. */
async function askFreePortScope(setting: string): Promise<FreePortScope | undefined> {
  const pick = await vscode.window.showQuickPick(
    [
      { label: 'This run only', detail: `Start on a free port now; ${setting} stays as it is`, scope: 'run' as const },
      { label: 'Save to settings', detail: `Set ${setting} to 0: every start picks a free port`, scope: 'save' as const },
    ],
    { title: 'Use a free port', placeHolder: 'For this run only, or saved to settings?' },
  );
  return pick?.scope;
}
