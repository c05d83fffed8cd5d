import { createServer } from 'node:net';
import * as vscode from 'vscode';
import type { XmppSandboxApi } from '../../../src/extension';
import type { TreeNode } from '../../../src/views/sandboxTree';
import { freePort } from '../../helpers/net';

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

/** Every port setting at 0: each start listens on free ports. */
export const FREE_PORTS = { 'ports.c2s': 0, 'ports.websocket': 0, 'ports.component': 0, 'ports.queue': 0 } as const;

/** A port another program holds (a socket listening on 127.0.0.1) until close(). */
export async function takenPort(): Promise<{ port: number; close(): void }> {
  const port = await freePort();
  const server = createServer();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return { port, close: () => server.close() };
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
