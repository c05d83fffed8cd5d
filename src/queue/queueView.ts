// The queue, readable: a queue key opens in a read-only editor (a TextDocumentContentProvider on
// the xmpp-sandbox-queue: scheme, rendered by ./render.ts), refreshed when the sandbox says the
// queue changed; and the list actions of the explorer: Push Item… (stanza templates for the
// bridge's outbox, checked by the bridge's own rule), Pop, Copy Items. Delete Key is
// xmppSandbox.purgeQueueKey (src/sandbox/commands.ts). Everything goes through the control API.

import * as vscode from 'vscode';
import { parseItem } from '../../sandbox/bridge/stanza';
import type { SandboxProcess } from '../sandbox/sandboxProcess';
import type { TreeNode } from '../views/sandboxTree';
import { COMMANDS } from '../ids';
import { BRIDGE_OUTBOX, outboxTemplates, QUEUE_PAGE, renderQueue, type QueueSnapshot } from './render';

export const QUEUE_SCHEME = 'xmpp-sandbox-queue';

export function queueUri(key: string): vscode.Uri {
  return vscode.Uri.from({ scheme: QUEUE_SCHEME, path: `/${key}` });
}

export function keyOfUri(uri: vscode.Uri): string {
  return uri.path.slice(1);
}

/** A command's target: a tree node (the explorer), a key, or { key, … } (the tests, other extensions). */
type KeyArg = TreeNode | string | { key?: string; item?: string; side?: 'left' | 'right' } | undefined;

/** An option passed as { key, item, side }; a tree node carries none. */
function option<K extends 'item' | 'side'>(arg: KeyArg, name: K) {
  return typeof arg === 'object' && arg && !('kind' in arg) ? arg[name] : undefined;
}

function keyOf(arg: KeyArg): string | undefined {
  if (typeof arg === 'string') return arg || undefined;
  if (!arg) return undefined;
  if ('kind' in arg) return arg.kind === 'queue' ? arg.value : undefined;
  return arg.key || undefined;
}

/** Reads one key: the whole list when it fits in two pages, else the first and last page. */
export async function readQueue(sandbox: SandboxProcess, key: string): Promise<QueueSnapshot> {
  const info = await sandbox.call('queue.info', { key });
  if (info.type === 'none') return { info, head: [], tail: [] };
  if (info.type === 'string' || info.length <= 2 * QUEUE_PAGE) return { info, head: await sandbox.call('queue.peek', { key, start: 0, stop: -1 }), tail: [] };
  const [head, tail] = await Promise.all([
    sandbox.call('queue.peek', { key, start: 0, stop: QUEUE_PAGE - 1 }),
    sandbox.call('queue.peek', { key, start: -QUEUE_PAGE, stop: -1 }),
  ]);
  return { info, head, tail };
}

export class QueueDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly sandbox: SandboxProcess) {
    const off = sandbox.onEvent((e) => {
      if (e.type === 'queue-changed') this.refreshAll();
    });
    this.disposables.push({ dispose: off }, this.changed, sandbox.onDidChangeState(() => this.refreshAll()));
  }

  /** Every open queue editor reads its key again (the queue-changed event is already debounced by the sandbox). */
  private refreshAll(): void {
    for (const doc of vscode.workspace.textDocuments) if (doc.uri.scheme === QUEUE_SCHEME) this.changed.fire(doc.uri);
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const key = keyOfUri(uri);
    if (!this.sandbox.running) return `${key}: the XMPP sandbox is not running. Start it to read its queue.\n`;
    try {
      return renderQueue(await readQueue(this.sandbox, key));
    } catch (err) {
      return `${key}: could not read it: ${(err as Error).message}\n`;
    }
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

export function registerQueueView(sandbox: SandboxProcess): vscode.Disposable[] {
  const docs = new QueueDocuments(sandbox);
  const reg = (id: string, fn: (...args: any[]) => unknown) => vscode.commands.registerCommand(id, fn);
  const notRunning = () => void vscode.window.showWarningMessage('The XMPP sandbox is not running.');

  const open = async (arg: KeyArg) => {
    const key = keyOf(arg);
    if (!key) return undefined;
    const doc = await vscode.workspace.openTextDocument(queueUri(key));
    return vscode.window.showTextDocument(doc, { preview: true });
  };

  /** Push Item…: `{ key, item }` pushes without asking (tests, other extensions). */
  const push = async (arg?: KeyArg) => {
    if (!sandbox.running) return notRunning();
    const e = sandbox.status?.endpoints;
    let key = keyOf(arg);
    key ??= await vscode.window.showInputBox({ title: 'Push Item: list key', value: BRIDGE_OUTBOX, prompt: `${BRIDGE_OUTBOX} is the list the bridge sends into XMPP` });
    if (!key) return undefined;
    // The bridge's own rule for an outbox item (one valid stanza with a `to`), so what is pushed here is not dead-lettered.
    const bridgeDomain = e ? `bridge.${e.domain}` : 'bridge.localhost';
    const check = (v: string) => {
      if (key !== BRIDGE_OUTBOX) return undefined;
      const r = parseItem(v, bridgeDomain);
      return r.ok ? undefined : `The bridge would dead-letter this: ${r.reason}`;
    };
    let value = option(arg, 'item');
    if (value === undefined) {
      let initial = '';
      if (key === BRIDGE_OUTBOX) {
        const pick = await vscode.window.showQuickPick(
          outboxTemplates(e?.domain ?? 'localhost').map((t) => ({ ...t, description: t.xml })),
          { title: `Push Item to ${key}: a stanza template` },
        );
        if (!pick) return undefined;
        initial = pick.xml;
      }
      value = await vscode.window.showInputBox({ title: `Push Item to ${key} (LPUSH)`, value: initial, validateInput: (v) => check(v), ignoreFocusOut: true });
      if (value === undefined) return undefined;
    }
    const problem = check(value);
    if (problem) {
      void vscode.window.showErrorMessage(problem);
      return { refused: problem };
    }
    const r = await sandbox.call('queue.push', { key, values: [value], side: 'left' });
    vscode.window.setStatusBarMessage(`Pushed to ${key}: ${r.length} item${r.length === 1 ? '' : 's'}`, 3000);
    return r;
  };

  /** Pop: `{ key, side }` pops without asking. LPOP takes the newest LPUSHed item, RPOP the one a worker takes next. */
  const pop = async (arg?: KeyArg) => {
    if (!sandbox.running) return notRunning();
    const key = keyOf(arg);
    if (!key) return undefined;
    let side = option(arg, 'side');
    if (!side) {
      const pick = await vscode.window.showQuickPick(
        [
          { label: 'RPOP', detail: 'the right end: the item a BRPOP or BLMOVE … RIGHT worker (the bridge) takes next', side: 'right' as const },
          { label: 'LPOP', detail: 'the left end, index 0: the item LPUSHed last', side: 'left' as const },
        ],
        { title: `Pop an item of ${key}` },
      );
      if (!pick) return undefined;
      side = pick.side;
    }
    const r = await sandbox.call('queue.pop', { key, side });
    if (r.value === null) void vscode.window.showInformationMessage(`${key} is empty.`);
    else void vscode.window.showInformationMessage(`Popped from ${key}: ${r.value.length > 200 ? `${r.value.slice(0, 200)}…` : r.value}`, 'Copy').then((p) => p && vscode.env.clipboard.writeText(r.value!));
    return r;
  };

  /** Copy Items: a list as a JSON array of its items (lossless, whatever they hold), a string as is. */
  const copy = async (arg?: KeyArg) => {
    if (!sandbox.running) return notRunning();
    const key = keyOf(arg);
    if (!key) return undefined;
    const info = await sandbox.call('queue.info', { key });
    const items = info.type === 'none' ? [] : await sandbox.call('queue.peek', { key, start: 0, stop: -1 });
    const text = info.type === 'string' ? (items[0] ?? '') : JSON.stringify(items, null, 2);
    await vscode.env.clipboard.writeText(text);
    vscode.window.setStatusBarMessage(info.type === 'string' ? `Copied the value of ${key}` : `Copied ${items.length} item${items.length === 1 ? '' : 's'} of ${key} (JSON)`, 3000);
    return text;
  };

  return [
    docs,
    vscode.workspace.registerTextDocumentContentProvider(QUEUE_SCHEME, docs),
    reg(COMMANDS.openQueueKey, open),
    reg(COMMANDS.pushQueueItem, push),
    reg(COMMANDS.popQueueItem, pop),
    reg(COMMANDS.copyQueueItems, copy),
  ];
}
