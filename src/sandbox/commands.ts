// The command palette (category "XMPP"). Enablement lives in package.json (the
// xmppSandbox.state context key); each command still checks the state, since other
// extensions and the tests call them directly.

import * as vscode from 'vscode';
import { connectionSnippet } from './connectionSnippet';
import { pickRecipient } from './recipientPick';
import type { SandboxController } from './controller';
import { setExternalQueuePassword } from './secrets';
import { inspectorOpen } from './inspectorTabs';
import { describePluginError } from './pluginDiagnostics';

import type { TreeNode } from '../views/sandboxTree';
import { COMMANDS, CONTEXT_KEYS, SETTINGS_SECTION } from '../ids';

export interface CommandDeps {
  context: vscode.ExtensionContext;
  controller: SandboxController;
  log: vscode.LogOutputChannel;
}

/** The walkthrough's "Send a first stanza" is done once one of its two actions has done its job. */
function firstStanzaDone(): void {
  void vscode.commands.executeCommand('setContext', CONTEXT_KEYS.firstStanzaSent, true);
}

function notRunning(): undefined {
  void vscode.window.showWarningMessage('The XMPP sandbox is not running.', 'Start Sandbox').then((pick) => {
    if (pick) void vscode.commands.executeCommand(COMMANDS.start);
  });
  return undefined;
}

export function registerCommands(d: CommandDeps): vscode.Disposable[] {
  const { controller, log } = d;
  const sb = controller.sandbox;
  const reg = (id: string, fn: (...args: any[]) => unknown) => vscode.commands.registerCommand(id, fn);

  const list: vscode.Disposable[] = [
    reg(COMMANDS.start, (opts?: { notify?: boolean }) => controller.start(opts)),
    reg(COMMANDS.stop, () => controller.stop()),
    reg(COMMANDS.restart, (opts?: { notify?: boolean }) => controller.restart(opts)),
    reg(COMMANDS.showLog, () => log.show(true)),

    reg(COMMANDS.copyConnectionSettings, async () => {
      const e = sb.status?.endpoints;
      if (!sb.running || !e) return notRunning();
      const accounts = vscode.workspace.getConfiguration(SETTINGS_SECTION).get<Record<string, string>>('accounts', {});
      const text = connectionSnippet(e, accounts);
      await vscode.env.clipboard.writeText(text);
      firstStanzaDone();
      void vscode.window.showInformationMessage(`Copied the XMPP sandbox connection settings (${e.c2s}, domain ${e.domain}).`);
      return text;
    }),

    reg(COMMANDS.resetData, async (opts?: { skipConfirmation?: boolean }) => {
      if (!sb.running) return notRunning();
      if (!opts?.skipConfirmation) {
        const pick = await vscode.window.showWarningMessage(
          'Reset the XMPP sandbox data?',
          { modal: true, detail: 'This deletes every offline message and every queue key, on disk and in the running sandbox. Connected sessions stay.' },
          'Reset',
        );
        if (pick !== 'Reset') return undefined;
      }
      const r = await sb.call('data.reset', {});
      log.info('Sandbox data reset');
      void vscode.window.showInformationMessage('XMPP sandbox data reset.');
      return r;
    }),

    reg(COMMANDS.sendTestMessage, async (args?: { to?: string; body?: string }) => {
      const e = sb.status?.endpoints;
      if (!sb.running || !e) return notRunning();
      let to = args?.to;
      if (!to) {
        const sessions = await sb.call('sessions.list', {}).catch(() => []);
        to = await pickRecipient([...new Set(sessions.map((s) => s.bareJid))], e.domain);
        if (!to) return undefined;
      }
      const body = args?.body ?? `Hello from the XMPP Sandbox (${new Date().toLocaleTimeString()})`;
      const xml = `<message type="chat" to="${escapeXml(to)}" id="test-${Date.now()}"><body>${escapeXml(body)}</body></message>`;
      const r = await sb.call('stanza.inject', { as: `sandbox@${e.domain}/vscode`, xml });
      log.info(`Injected a test message to ${to} (packet ${r.packetId})`);
      firstStanzaDone();
      // Pointing at the inspector is only useful to someone who is not already looking at it.
      if (args) return r;
      if (inspectorOpen()) void vscode.window.showInformationMessage(`Sent a test message to ${to}: it is in the Stanza Inspector.`);
      else void vscode.window.showInformationMessage(`Sent a test message to ${to}. Open the stanza inspector to see its path.`, 'Open Stanza Inspector').then((p) => p && vscode.commands.executeCommand(COMMANDS.openInspector));
      return r;
    }),

    reg(COMMANDS.copyTreeValue, async (node?: TreeNode) => {
      if (!node?.value) return;
      await vscode.env.clipboard.writeText(node.value);
      vscode.window.setStatusBarMessage(`Copied ${node.value}`, 2000);
    }),

    // Tree item actions (inline buttons in the XMPP Sandbox view).
    reg(COMMANDS.kickSession, async (node?: TreeNode) => {
      if (!sb.running || node?.kind !== 'resource' || !node.value) return undefined;
      const r = await sb.call('sessions.kick', { fullJid: node.value });
      log.info(`Disconnected ${node.value}`);
      return r;
    }),
    reg(COMMANDS.purgeQueueKey, async (node?: TreeNode) => {
      if (!sb.running || node?.kind !== 'queue' || !node.value) return undefined;
      return sb.call('queue.purge', { key: node.value });
    }),
    reg(COMMANDS.purgeOffline, async (node?: TreeNode) => {
      if (!sb.running || node?.kind !== 'offline' || !node.value) return undefined;
      return sb.call('offline.purge', { bareJid: node.value });
    }),
    reg(COMMANDS.reloadPlugins, async () => {
      if (!sb.running) return notRunning();
      const r = await sb.call('plugins.reload', {});
      log.info(`Reloaded plugins: ${r.loaded.join(', ') || 'none'}`);
      for (const e of r.errors) log.error(`Plugin ${describePluginError(e)}`);
      // The error itself, not just the file; every one is in the Problems panel (pluginDiagnostics.ts).
      if (r.errors.length) {
        const more = r.errors.length > 1 ? ` (and ${r.errors.length - 1} more)` : '';
        void vscode.window.showErrorMessage(`A plugin failed to load: ${describePluginError(r.errors[0]!)}${more}`, 'Show Problems').then((p) => p && vscode.commands.executeCommand('workbench.actions.view.problems'));
      }
      else vscode.window.setStatusBarMessage(`Reloaded ${r.loaded.length} plugin(s)`, 3000);
      return r;
    }),

    reg(COMMANDS.setExternalQueuePassword, async () => {
      const value = await vscode.window.showInputBox({ title: "Password of the bridge's external Redis", password: true, prompt: 'Kept in the OS secret store. Empty: remove it.', ignoreFocusOut: true });
      if (value === undefined) return;
      await setExternalQueuePassword(d.context.secrets, value);
      if (sb.running) {
        const pick = await vscode.window.showInformationMessage('Saved. Restart the sandbox to use it?', 'Restart');
        if (pick) await controller.restart();
      }
    }),

    reg(COMMANDS.showActions, async () => {
      type Item = vscode.QuickPickItem & { command: string };
      const running = sb.running;
      const items: Item[] = running
        ? [
            { label: '$(debug-stop) Stop Sandbox', command: COMMANDS.stop },
            { label: '$(debug-restart) Restart Sandbox', command: COMMANDS.restart },
            { label: '$(inspect) Open Stanza Inspector', command: COMMANDS.openInspector },
            { label: '$(copy) Copy Connection Settings', command: COMMANDS.copyConnectionSettings, description: sb.status?.endpoints?.c2s },
            { label: '$(send) Send a Test Message', command: COMMANDS.sendTestMessage },
            { label: '$(output) Show Sandbox Log', command: COMMANDS.showLog },
            { label: '$(trash) Reset Sandbox Data', command: COMMANDS.resetData },
            { label: '$(gear) Open Settings', command: 'workbench.action.openSettings' },
          ]
        : [
            { label: '$(play) Start Sandbox', command: COMMANDS.start },
            { label: '$(inspect) Open Stanza Inspector', command: COMMANDS.openInspector },
            { label: '$(output) Show Sandbox Log', command: COMMANDS.showLog },
            { label: '$(gear) Open Settings', command: 'workbench.action.openSettings' },
          ];
      const pick = await vscode.window.showQuickPick(items, { title: `XMPP Sandbox (${sb.state})` });
      if (!pick) return;
      if (pick.command === 'workbench.action.openSettings') return vscode.commands.executeCommand(pick.command, SETTINGS_SECTION);
      return vscode.commands.executeCommand(pick.command);
    }),
  ];

  return list;
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}
