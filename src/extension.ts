// Composition root. Activation is cheap: it loads no sandbox server code (from sandbox/** only
// the control API's module and its IPC client, which import nothing else, and the pure
// scenario parser for the Test Explorer), forks nothing and
// reads no files unless xmppSandbox.autoStart is on. It
// activates on the contributed commands and views, and on onStartupFinished for autoStart
// (which then only reads one setting).

import * as path from 'node:path';
import * as vscode from 'vscode';
import { registerInspector } from './inspector/index';
import { registerNewProject } from './scaffold/command';
import { registerCommands } from './sandbox/commands';
import { SandboxController } from './sandbox/controller';
import { SandboxProcess } from './sandbox/sandboxProcess';

import { SandboxStatusBar } from './sandbox/statusBar';
import { PluginDiagnostics } from './sandbox/pluginDiagnostics';
import { trackInspectorTab } from './sandbox/inspectorTabs';
import { registerQueueView } from './queue/queueView';
import { ScenarioTests } from './scenario/controller';
import { registerScenarioLanguage } from './scenario/language';
import { registerSendStep } from './scenario/sendStep';
import { SandboxModel } from './views/sandboxModel';
import { SandboxTreeProvider } from './views/sandboxTree';
import { SETTINGS_SECTION, VIEWS } from './ids';

/** What activate() returns: used by the extension's own test suite (and other extensions). */
export interface XmppSandboxApi {
  sandbox: SandboxProcess;
  controller: SandboxController;
  model: SandboxModel;
  tree: SandboxTreeProvider;
  statusBar: SandboxStatusBar;
  /** Scenario scripts (.scs) in the Test Explorer, and the Run Scenario command. */
  scenarios: ScenarioTests;
  /** Plugin load errors in the Problems panel. */
  pluginDiagnostics: PluginDiagnostics;
  /** Per-run resources still alive (child, listeners, timers, pending calls): 0 when stopped. */
  liveResources(): number;
}

export function activate(context: vscode.ExtensionContext): XmppSandboxApi {
  const started = Date.now();
  const log = vscode.window.createOutputChannel('XMPP Sandbox', { log: true });
  context.subscriptions.push(log);

  const sandbox = new SandboxProcess({ script: path.join(context.extensionPath, 'dist', 'sandbox.js'), log });
  const controller = new SandboxController(context, sandbox, log);
  const model = new SandboxModel(sandbox);
  const tree = new SandboxTreeProvider(model);
  const view = vscode.window.createTreeView(VIEWS.explorer, { treeDataProvider: tree, showCollapseAll: true });
  const statusBar = new SandboxStatusBar(sandbox);
  // Disposed in reverse order: the sandbox (child process) last.
  context.subscriptions.push(sandbox, controller, model, tree, view, statusBar);

  // The stanza inspector (src/inspector) registers xmppSandbox.openInspector and its panel serializer.
  registerInspector(context, sandbox);
  context.subscriptions.push(...registerCommands({ context, controller, log }));
  // Queue keys open in a read-only editor; Push Item…, Pop, Copy Items on a list.
  context.subscriptions.push(...registerQueueView(sandbox));
  const pluginDiagnostics = new PluginDiagnostics(sandbox);
  context.subscriptions.push(pluginDiagnostics, trackInspectorTab());
  // Scenario scripts (.scs): Test Explorer items, the Run profile and the Run Scenario CodeLens.
  // Scripts run inside the sandbox while it runs (their stanzas tagged for the inspector), else through the CLI.
  const scenarios = new ScenarioTests(path.join(context.extensionPath, 'dist', 'sandbox.js'), log, sandbox);
  context.subscriptions.push(scenarios);
  // Their language help (diagnostics, completion, hovers) and Send This Step into this sandbox.
  context.subscriptions.push(registerScenarioLanguage(), registerSendStep(sandbox, log));
  context.subscriptions.push(registerNewProject({ context, sandbox, controller, log }));

  if (vscode.workspace.getConfiguration(SETTINGS_SECTION).get<boolean>('autoStart', false) && vscode.workspace.workspaceFolders?.length) {
    void controller.start({ notify: false });
  }
  log.info(`XMPP Sandbox extension activated in ${Date.now() - started} ms`);

  return {
    sandbox,
    controller,
    model,
    tree,
    statusBar,
    scenarios,
    pluginDiagnostics,
    liveResources: () => sandbox.liveResources + statusBar.liveResources,
  };
}

export function deactivate(): void {
  // Everything lives in context.subscriptions; SandboxProcess.dispose stops the child.
}
