import * as vscode from 'vscode';
import type { XmppSandboxApi } from '../../../src/extension';
import type { TreeNode } from '../../../src/views/sandboxTree';

export const EXTENSION_ID = 'xmpp-sandbox.xmpp-sandbox';

export async function api(): Promise<XmppSandboxApi> {
  const ext = vscode.extensions.getExtension<XmppSandboxApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not installed`);
  return ext.activate();
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** Sets xmppSandbox.* settings in the workspace (the folder code-server opened). */
export async function setSettings(values: Record<string, unknown>): Promise<void> {
  const c = vscode.workspace.getConfiguration('xmppSandbox');
  for (const [k, v] of Object.entries(values)) await c.update(k, v, vscode.ConfigurationTarget.Workspace);
}

export function findNode(nodes: readonly TreeNode[], pred: (n: TreeNode) => boolean): TreeNode | undefined {
  for (const n of nodes) {
    if (pred(n)) return n;
    const c = n.children && findNode(n.children, pred);
    if (c) return c;
  }
  return undefined;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
