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

/** The part of a contributed setting's JSON schema (package.json contributes.configuration) checked before a start. */
export interface SettingSchema {
  type?: string | string[];
  minimum?: number;
  maximum?: number;
  enum?: readonly unknown[];
  pattern?: string;
  items?: SettingSchema;
}

export interface SettingProblem {
  /** The full setting id, e.g. xmppSandbox.ports.queue: what Open Settings filters on. */
  setting: string;
  message: string;
}

const TYPE_CHECKS: Record<string, (v: unknown) => boolean> = {
  integer: (v) => Number.isInteger(v),
  number: (v) => typeof v === 'number' && Number.isFinite(v),
  string: (v) => typeof v === 'string',
  boolean: (v) => typeof v === 'boolean',
  array: (v) => Array.isArray(v),
  object: (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
};

function valueProblem(schema: SettingSchema, v: unknown): string | undefined {
  const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.length && !types.some((t) => TYPE_CHECKS[t]?.(v) ?? true)) return `must be ${types.includes('integer') ? 'a whole number' : `of type ${types.join(' or ')}`}`;
  if (typeof v === 'number') {
    if (schema.minimum !== undefined && v < schema.minimum) return `must be at least ${schema.minimum}`;
    if (schema.maximum !== undefined && v > schema.maximum) return `must be at most ${schema.maximum}`;
  }
  if (schema.enum && !schema.enum.includes(v)) return `must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`;
  if (typeof v === 'string' && schema.pattern && !new RegExp(schema.pattern, 'u').test(v)) return `does not match ${schema.pattern}`;
  if (Array.isArray(v) && schema.items) {
    for (const item of v) {
      const p = valueProblem(schema.items, item);
      if (p) return `has ${JSON.stringify(item)}, which ${p}`;
    }
  }
  return undefined;
}

/**
 * Every xmppSandbox.* value that breaks its schema (the one in package.json, which the Settings
 * editor also shows): checked before Start and before Restart stops anything, so the error names
 * the setting a person can change, not the sandbox's internal config path.
 */
export function settingProblems(properties: Readonly<Record<string, SettingSchema>>, config: Pick<vscode.WorkspaceConfiguration, 'get'>): SettingProblem[] {
  const problems: SettingProblem[] = [];
  for (const [setting, schema] of Object.entries(properties)) {
    if (!setting.startsWith(`${SETTINGS_SECTION}.`)) continue;
    const v = config.get<unknown>(setting.slice(SETTINGS_SECTION.length + 1));
    if (v === undefined) continue;
    const p = valueProblem(schema, v);
    if (p) problems.push({ setting, message: `${setting} is ${JSON.stringify(v)}: it ${p}.` });
  }
  return problems;
}

/** The overrides with one port (by its setting, e.g. xmppSandbox.ports.c2s) replaced: "Use a Free Port" for this run only. */
export function withPort(o: ConfigOverrides, setting: string, port: number): ConfigOverrides {
  const path = (Object.keys(SETTING_FOR_PORT) as PortSetting[]).find((p) => SETTING_FOR_PORT[p] === setting);
  if (!path) return o;
  const [section, key] = path.split('.') as ['xmpp' | 'queue', string];
  return { ...o, [section]: { ...o[section], [key]: port } };
}
