import type { Endpoints } from '../../sandbox/control/api';

/**
 * The text "Copy Connection Settings" puts on the clipboard: a JavaScript snippet that pastes
 * into a worker as is (@xmpp/client, @xmpp/component, ioredis all take these values).
 */
export function connectionSnippet(e: Endpoints, accounts: Record<string, string> = {}): string {
  const q = (s: string) => JSON.stringify(s);
  const components = Object.entries(e.components);
  const [componentDomain, componentSecret] = components.find(([d]) => d.startsWith('component.')) ?? components[0] ?? ['', ''];
  const lines = [
    `// XMPP Sandbox connection settings (domain ${e.domain})`,
    `export const sandbox = {`,
    `  // @xmpp/client: client({ service, domain, username, password })`,
    `  xmpp: {`,
    `    service: ${q(e.c2s)},`,
  ];
  if (e.websocket) lines.push(`    websocket: ${q(e.websocket)},`);
  lines.push(
    `    domain: ${q(e.domain)},`,
    `    // any username works with the sandbox password`,
    `    username: "alice",`,
    `    password: ${q(e.password)},`,
    `  },`,
  );
  if (Object.keys(accounts).length) {
    lines.push(`  accounts: { ${Object.entries(accounts).map(([u, p]) => `${q(u)}: ${q(p)}`).join(', ')} },`);
  }
  if (e.component && componentDomain) {
    lines.push(
      `  // @xmpp/component: component({ service, domain, password }) (XEP-0114)`,
      `  component: {`,
      `    service: ${q(e.component)},`,
      `    domain: ${q(componentDomain)},`,
      `    password: ${q(componentSecret)},`,
      `  },`,
    );
  }
  if (components.length > 1) {
    lines.push(`  componentSecrets: { ${components.map(([d, s]) => `${q(d)}: ${q(s)}`).join(', ')} },`);
  }
  if (e.queue) lines.push(`  // ioredis / node-redis / redis-cli -u`, `  queue: ${q(e.queue)},`);
  lines.push(`};`, ``);
  return lines.join('\n');
}

/** host:port of an xmpp:// / ws:// / redis:// URL, for short labels. */
export function hostPort(url: string | null): string {
  if (!url) return 'off';
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port}`;
  } catch {
    return url;
  }
}

export function portOf(url: string | null): string {
  if (!url) return '';
  try {
    return new URL(url).port;
  } catch {
    return '';
  }
}
