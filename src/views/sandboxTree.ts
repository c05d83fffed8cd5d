// The "XMPP Sandbox" explorer: endpoints, connected sessions (bare JID → resources with
// priority and presence), components, queue lists with lengths, pipeline plugins per stage,
// the offline store per user. Empty while stopped, so the welcome view (Start button) shows.

import * as vscode from 'vscode';
import type { PluginStage, ResourceInfo } from '../../sandbox/control/api';
import { STAGES } from '../../sandbox/xmpp/vocabulary';
import { COMMANDS } from '../ids';
import type { SandboxModel } from './sandboxModel';

export type NodeKind = 'group' | 'endpoint' | 'session' | 'resource' | 'component' | 'queue' | 'stage' | 'plugin' | 'offline' | 'empty';

export interface TreeNode {
  id: string;
  kind: NodeKind;
  label: string;
  description?: string;
  tooltip?: string;
  icon?: string;
  /** A theme colour id for the icon (presence: green available, yellow away, red dnd). */
  iconColor?: string;
  /** What "Copy Value" copies. */
  value?: string;
  /** A word added to the item's contextValue for menus, e.g. a queue key's type ('list'). */
  context?: string;
  children?: TreeNode[];
  expanded?: boolean;
}


function presence(r: ResourceInfo): string {
  if (!r.available) return 'unavailable';
  return r.show ?? 'available';
}

/** The presence dot's colour, as chat clients show it (RFC 6121 §4.7.2.1 <show/> values). */
export function presenceColor(r: ResourceInfo): string | undefined {
  if (!r.available) return undefined;
  switch (r.show) {
    case undefined:
    case 'chat':
      return 'charts.green';
    case 'away':
    case 'xa':
      return 'charts.yellow';
    case 'dnd':
      return 'charts.red';
    default:
      return undefined;
  }
}

/** Shown instead of a secret: the Copy action copies the real one. */
export const MASK = '••••••••';

/**
 * The XEP-0114 component secret(s): random per installation inside VS Code (SecretStorage), so
 * the explorer is where a user finds the one to give @xmpp/component. Masked; Copy copies it.
 */
function componentSecrets(components: Record<string, string>): TreeNode[] {
  const bySecret = new Map<string, string[]>();
  for (const [domain, secret] of Object.entries(components)) bySecret.set(secret, [...(bySecret.get(secret) ?? []), domain]);
  return [...bySecret].map(([secret, domains], i) => ({
    id: `ep/secret/${i}`,
    kind: 'endpoint',
    label: 'Component secret',
    description: `${MASK} (${domains.join(', ')})`,
    tooltip: `The XEP-0114 secret of ${domains.join(', ')}. Copy it with the Copy button.`,
    value: secret,
    icon: 'lock',
  }));
}

/** Builds the whole tree from the model's snapshot (small: a few hundred nodes at most). */
export function buildTree(model: SandboxModel): TreeNode[] {
  const s = model.snapshot;
  const e = s.endpoints;
  if (!e) return [];
  const none = (id: string, label: string): TreeNode => ({ id, kind: 'empty', label, icon: 'circle-slash' });

  const endpoints: TreeNode[] = [
    { id: 'ep/domain', kind: 'endpoint', label: 'Domain', description: e.domain, value: e.domain, icon: 'globe' },
    { id: 'ep/c2s', kind: 'endpoint', label: 'Client (TCP)', description: e.c2s, value: e.c2s, icon: 'plug' },
    { id: 'ep/ws', kind: 'endpoint', label: 'WebSocket', description: e.websocket ?? 'off', value: e.websocket ?? undefined, icon: 'radio-tower' },
    { id: 'ep/component', kind: 'endpoint', label: 'Components (XEP-0114)', description: e.component ?? 'off', value: e.component ?? undefined, icon: 'extensions' },
    { id: 'ep/queue', kind: 'endpoint', label: 'Queue (RESP)', description: e.queue ?? 'off', value: e.queue ?? undefined, icon: 'database' },
    { id: 'ep/password', kind: 'endpoint', label: 'Password', description: e.password, value: e.password, icon: 'key' },
    ...componentSecrets(e.components),
  ];

  const sessions = s.sessions.map<TreeNode>((sess) => ({
    id: `session/${sess.bareJid}`,
    kind: 'session',
    label: sess.bareJid,
    description: `${sess.resources.length} resource${sess.resources.length === 1 ? '' : 's'}`,
    icon: 'account',
    value: sess.bareJid,
    expanded: true,
    children: sess.resources.map<TreeNode>((r) => ({
      id: `resource/${r.fullJid}`,
      kind: 'resource',
      label: r.resource,
      description: `priority ${r.priority} · ${presence(r)}${r.status ? ` “${r.status}”` : ''} · ${r.transport}${r.sm !== 'off' ? ` · sm ${r.sm}` : ''}`,
      tooltip: `${r.fullJid}\nsession ${r.sessionId}\nconnected ${new Date(r.connectedAt).toLocaleTimeString()}`,
      icon: r.available ? 'circle-filled' : 'circle-outline',
      iconColor: presenceColor(r),
      value: r.fullJid,
    })),
  }));

  const components = s.components.map<TreeNode>((c) => ({
    id: `component/${c.domain}`,
    kind: 'component',
    label: c.domain,
    description: `since ${new Date(c.connectedAt).toLocaleTimeString()}`,
    icon: 'extensions',
    value: c.domain,
  }));

  const queue = s.queue.map<TreeNode>((k) => ({
    id: `queue/${k.key}`,
    kind: 'queue',
    label: k.key,
    description: k.type === 'list' ? `${k.length} item${k.length === 1 ? '' : 's'}` : k.type,
    icon: k.type === 'list' ? 'list-ordered' : 'symbol-string',
    value: k.key,
    tooltip: `${k.key}: click to read its ${k.type === 'list' ? 'items' : 'value'}`,
    context: k.type,
  }));

  const stages = STAGES.map<TreeNode>((stage) => {
    const plugins = s.plugins.filter((p) => p.stages.includes(stage));
    return {
      id: `stage/${stage}`,
      kind: 'stage',
      label: stage,
      description: `${plugins.length}`,
      icon: 'layers',
      children: plugins.map<TreeNode>((p) => ({
        id: `plugin/${stage}/${p.id}`,
        kind: 'plugin',
        label: p.id,
        description: [p.origin === 'builtin' ? '' : p.origin, p.queueCapacity ? `queue ${p.queued ?? 0}/${p.queueCapacity}` : ''].filter(Boolean).join(' · ') || undefined,
        tooltip: p.handles.map((h) => `${h.path.join('/')}${h.xmlns ? ` [${h.xmlns}]` : ''}`).join('\n') || undefined,
        icon: p.origin === 'builtin' ? 'symbol-method' : 'file-code',
        value: p.id,
      })),
    };
  });

  const offline = s.offline.map<TreeNode>((u) => ({
    id: `offline/${u.bareJid}`,
    kind: 'offline',
    label: u.bareJid,
    description: `${u.count} message${u.count === 1 ? '' : 's'}`,
    icon: 'mail',
    value: u.bareJid,
  }));

  const group = (id: string, label: string, icon: string, children: TreeNode[], emptyLabel: string, expanded = true): TreeNode => ({
    id: `group/${id}`,
    kind: 'group',
    label,
    description: `${children.length}`,
    icon,
    expanded,
    children: children.length ? children : [none(`${id}/none`, emptyLabel)],
  });

  return [
    { id: 'group/endpoints', kind: 'group', label: 'Endpoints', icon: 'link', expanded: true, children: endpoints },
    group('sessions', 'Sessions', 'account', sessions, 'no client connected'),
    group('components', 'Components', 'extensions', components, 'no component connected'),
    group('queue', 'Queue', 'database', queue, 'no keys'),
    { id: 'group/pipeline', kind: 'group', label: 'Pipeline', description: `${s.plugins.length} plugins`, icon: 'layers', expanded: true, children: stages },
    group('offline', 'Offline Store', 'mail', offline, 'empty', false),
  ];
}

export class SandboxTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private roots: TreeNode[] = [];
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly sub: vscode.Disposable;

  constructor(private readonly model: SandboxModel) {
    this.roots = buildTree(model);
    this.sub = model.onDidChange(() => {
      this.roots = buildTree(model);
      this.changed.fire(undefined);
    });
  }

  /** The current tree (the tests read it). */
  get nodes(): readonly TreeNode[] {
    return this.roots;
  }

  getChildren(node?: TreeNode): TreeNode[] {
    return node ? (node.children ?? []) : this.roots;
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    const state = node.children?.length
      ? node.expanded
        ? vscode.TreeItemCollapsibleState.Expanded
        : vscode.TreeItemCollapsibleState.Collapsed
      : vscode.TreeItemCollapsibleState.None;
    const item = new vscode.TreeItem(node.label, state);
    item.id = node.id;
    item.description = node.description;
    item.tooltip = node.tooltip ?? (node.value ? `${node.label}: ${node.value}` : undefined);
    if (node.icon) item.iconPath = new vscode.ThemeIcon(node.icon, node.iconColor ? new vscode.ThemeColor(node.iconColor) : undefined);
    // e.g. 'resource copyable', 'group pipeline', 'queue list copyable': package.json's menus match on it.
    item.contextValue = [node.kind, node.kind === 'group' ? node.id.slice('group/'.length) : '', node.context ?? '', node.value ? 'copyable' : ''].filter(Boolean).join(' ');
    // A click on a queue key opens its items (src/queue/queueView.ts), as Redis for VS Code does.
    if (node.kind === 'queue') item.command = { command: COMMANDS.openQueueKey, title: 'Open Queue Key', arguments: [node] };
    return item;
  }

  dispose(): void {
    this.sub.dispose();
    this.changed.dispose();
  }
}
