// The session manager's parts wired together (no sockets): what server.ts composes with the
// stream listeners, and what unit tests drive directly through SessionManagerPort.

import type { SandboxConfig } from '../../config';
import type { Logger } from '../../log';
import type { TraceBus } from '../../trace/bus';
import { defaultRoute } from '../plugins/default-route';
import { builtinPlugins } from '../plugins/index';
import { OfflineDelivery } from './offline-delivery';
import { DiskOfflineStore } from './offline-store';
import { Pipeline } from './pipeline';
import { PluginRegistry } from './registry';
import { Router } from './router';
import { SessionManager } from './session-manager';

export interface SessionManagerCore {
  router: Router;
  registry: PluginRegistry;
  offline: DiskOfflineStore;
  pipeline: Pipeline;
  sm: SessionManager;
}

export function createSessionManagerCore(opts: {
  config: SandboxConfig;
  trace: TraceBus;
  log: Logger;
  /** 'sessions-changed' | 'components-changed' | 'offline-changed' | 'plugins-changed' */
  changed?: (event: string) => void;
}): SessionManagerCore {
  const { config, trace, log } = opts;
  const changed = opts.changed ?? (() => {});
  const router = new Router(() => Object.keys(config.xmpp.components));
  const registry = new PluginRegistry(() => changed('plugins-changed'));
  const offline = new DiskOfflineStore(config.dataDir, config.xmpp.offlineQuota, log.child('offline'), () => changed('offline-changed'));
  const pipeline = new Pipeline({ config, trace, log: log.child('sm'), router, offline, registry, defaultAction: defaultRoute });
  const delivery = new OfflineDelivery({ store: offline, router: router.view, pipeline, highWaterBytes: config.xmpp.outboundHighWaterBytes, log: log.child('offline') });
  const sm = new SessionManager({
    domain: config.xmpp.domain,
    router,
    pipeline,
    registry,
    offline,
    delivery,
    log: log.child('sm'),
    changed: (what) => changed(what === 'sessions' ? 'sessions-changed' : 'components-changed'),
  });
  for (const p of builtinPlugins(() => registry.plugins().map((r) => r.plugin), { router, offline, delivery })) registry.add(p, 'builtin');
  return { router, registry, offline, pipeline, sm };
}
