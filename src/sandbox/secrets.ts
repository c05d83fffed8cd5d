import { randomBytes } from 'node:crypto';
import type * as vscode from 'vscode';

// Secrets live in SecretStorage (the OS keychain), never in settings.
const COMPONENT_SECRET = 'xmppSandbox.componentSecret';
const EXTERNAL_QUEUE_PASSWORD = 'xmppSandbox.bridge.externalQueuePassword';

/** The XEP-0114 shared secret for the sandbox's components: generated once, then reused. */
export async function componentSecret(secrets: vscode.SecretStorage): Promise<string> {
  const existing = await secrets.get(COMPONENT_SECRET);
  if (existing) return existing;
  // Printable ASCII only: the component handshake hashes the secret as given (XEP-0114 §3).
  const secret = randomBytes(18).toString('base64url');
  await secrets.store(COMPONENT_SECRET, secret);
  return secret;
}

export function externalQueuePassword(secrets: vscode.SecretStorage): Thenable<string | undefined> {
  return secrets.get(EXTERNAL_QUEUE_PASSWORD);
}

export async function setExternalQueuePassword(secrets: vscode.SecretStorage, value: string): Promise<void> {
  if (value) await secrets.store(EXTERNAL_QUEUE_PASSWORD, value);
  else await secrets.delete(EXTERNAL_QUEUE_PASSWORD);
}
