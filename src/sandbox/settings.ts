// Settings (contributes.configuration, prefix xmppSandbox.) → the sandbox's ConfigOverrides,
// and the way back: the port a PortInUseError names → the setting to change.

import * as path from 'node:path';
import type * as vscode from 'vscode';
import type { ConfigOverrides, PortSetting } from '../../sandbox/control/api';

import { SETTINGS_SECTION } from '../ids';

/** A port's config path (PortInUseError.setting, sandbox/control/api.ts) → the setting to change. */
export const SETTING_FOR_PORT: Readonly<Record<PortSetting, string>> = {
  'xmpp.c2sPort': 'xmppSandbox.ports.c2s',
  'xmpp.wsPort': 'xmppSandbox.ports.websocket',
  'xmpp.componentPort': 'xmppSandbox.ports.component',
  'queue.port': 'xmppSandbox.ports.queue',
};

/** Settings whose change needs a restart of a running sandbox (all but autoStart). */
export function needsRestart(e: vscode.ConfigurationChangeEvent): boolean {
  return e.affectsConfiguration(SETTINGS_SECTION) && !(e.affectsConfiguration(`${SETTINGS_SECTION}.autoStart`) && countAffected(e) === 1);
}

const RESTART_KEYS = ['ports', 'domain', 'password', 'accounts', 'allowedOrigins', 'dataDirectory', 'trace', 'tieBreak', 'pluginFolder', 'bridge', 'logLevel', 'autoStart'];
function countAffected(e: vscode.ConfigurationChangeEvent): number {
  return RESTART_KEYS.filter((k) => e.affectsConfiguration(`${SETTINGS_SECTION}.${k}`)).length;
}

export interface SettingsContext {
  config: vscode.WorkspaceConfiguration;
  /** context.globalStorageUri.fsPath: the default data directory. */
  globalStoragePath: string;
  /** First workspace folder, for a relative plugin folder. */
  workspaceFolder?: string;
  /** Generated on first start and kept in SecretStorage. */
  componentSecret: string;
  /** Password of the bridge's external Redis (SecretStorage), if any. */
  externalQueuePassword?: string;
}

function resolveFolder(p: string, base: string | undefined): string {
  if (!p) return '';
  if (path.isAbsolute(p) || !base) return p;
  return path.join(base, p);
}

/** Adds the password to a redis:// URL that has none. */
export function withPassword(url: string, password: string | undefined): string {
  if (!url || !password) return url;
  try {
    const u = new URL(url);
    if (!u.password) u.password = password;
    return u.toString();
  } catch {
    return url;
  }
}

export function buildOverrides(s: SettingsContext): ConfigOverrides {
  const c = s.config;
  const domain = c.get<string>('domain', 'localhost') || 'localhost';
  const bridgeDomain = `bridge.${domain}`;
  const redisUrl = c.get<string>('bridge.redisUrl', '') ?? '';
  return {
    dataDir: resolveFolder(c.get<string>('dataDirectory', ''), s.workspaceFolder) || s.globalStoragePath,
    logLevel: c.get<'error' | 'warn' | 'info' | 'debug'>('logLevel', 'info'),
    xmpp: {
      domain,
      c2sPort: c.get<number>('ports.c2s', 5222),
      wsPort: c.get<number>('ports.websocket', 5280),
      componentPort: c.get<number>('ports.component', 5347),
      password: c.get<string>('password', 'sandbox'),
      accounts: { ...(c.get<Record<string, string>>('accounts', {}) ?? {}) },
      // Web pages allowed on the WebSocket besides local ones and webviews (RFC 6455 §10.2; sandbox/config.ts).
      allowedOrigins: [...(c.get<string[]>('allowedOrigins', []) ?? [])],
      // The component secret lives in SecretStorage, not in settings.
      components: { [bridgeDomain]: s.componentSecret, [`component.${domain}`]: s.componentSecret },
      tieBreak: c.get<'all' | 'round-robin'>('tieBreak', 'all'),
      pluginDir: resolveFolder(c.get<string>('pluginFolder', ''), s.workspaceFolder),
    },
    queue: { port: c.get<number>('ports.queue', 6380) },
    bridge: { domain: bridgeDomain, secret: s.componentSecret, redisUrl: withPassword(redisUrl, s.externalQueuePassword) },
    trace: { bufferSize: c.get<number>('trace.bufferSize', 50_000) },
  };
}
