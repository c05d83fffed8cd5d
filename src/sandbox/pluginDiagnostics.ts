// Plugin load errors in the Problems panel: a plugin file that failed to load, at the line its
// error names, or the plugin folder that could not be read. Read from the control API
// (plugins.errors) when the sandbox is ready and on every plugins-changed event (a load or
// reload). Saving a file that has a problem reloads the plugins, so a fixed file's problem goes
// away as it is saved (as a compiler's would); cleared when the sandbox stops, since they
// describe the running sandbox.

import * as vscode from 'vscode';
import type { PluginLoadError } from '../../sandbox/control/api';
import type { SandboxProcess } from './sandboxProcess';

export const PLUGIN_DIAGNOSTICS = 'xmpp-sandbox-plugins';

export function pluginDiagnostic(e: PluginLoadError): vscode.Diagnostic {
  // Lines and columns from a stack are 1-based; a Range is 0-based. No line: the file's first.
  const line = Math.max(0, (e.line ?? 1) - 1);
  const column = Math.max(0, (e.column ?? 1) - 1);
  const d = new vscode.Diagnostic(new vscode.Range(line, column, line, Number.MAX_SAFE_INTEGER), `Plugin failed to load: ${e.error}`, vscode.DiagnosticSeverity.Error);
  d.source = 'XMPP Sandbox';
  return d;
}

/** file:line: error, as a notification or the log says it. */
export function describePluginError(e: PluginLoadError): string {
  return `${e.file}${e.line ? `:${e.line}` : ''}: ${e.error}`;
}

export class PluginDiagnostics implements vscode.Disposable {
  readonly collection = vscode.languages.createDiagnosticCollection(PLUGIN_DIAGNOSTICS);
  private readonly disposables: vscode.Disposable[] = [this.collection];
  /** Bumped on every read, so an older answer never overwrites a newer one. */
  private generation = 0;

  constructor(private readonly sandbox: SandboxProcess) {
    const off = sandbox.onEvent((e) => {
      if (e.type === 'plugins-changed') void this.refresh();
    });
    this.disposables.push(
      { dispose: off },
      vscode.workspace.onDidSaveTextDocument((doc) => {
        if (this.sandbox.running && this.collection.has(doc.uri)) void this.sandbox.call('plugins.reload', {}).catch(() => undefined);
      }),
      sandbox.onDidChangeState((s) => {
        if (s === 'running') void this.refresh().then((errors) => errors.length && this.announce(errors));
        else if (s === 'stopped') this.show([]);
      }),
    );
    if (sandbox.running) void this.refresh();
  }

  /** Reads the last load's errors from the sandbox and shows them. */
  async refresh(): Promise<PluginLoadError[]> {
    const gen = ++this.generation;
    const errors = await this.sandbox.call('plugins.errors', {}).catch(() => [] as PluginLoadError[]);
    if (gen === this.generation) this.show(errors);
    return errors;
  }

  /** A start with plugin problems says so once, with the way to them; each one is in the Problems panel. */
  private announce(errors: readonly PluginLoadError[]): void {
    const first = errors[0]!;
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
    void vscode.window.showWarningMessage(`XMPP sandbox plugin problem: ${describePluginError(first)}${more}`, 'Show Problems').then((p) => p && vscode.commands.executeCommand('workbench.actions.view.problems'));
  }

  show(errors: readonly PluginLoadError[]): void {
    const byFile = new Map<string, vscode.Diagnostic[]>();
    for (const e of errors) byFile.set(e.file, [...(byFile.get(e.file) ?? []), pluginDiagnostic(e)]);
    this.collection.clear();
    for (const [file, list] of byFile) this.collection.set(vscode.Uri.file(file), list);
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
