// The built-in plugins, in registration order (preprocess/postprocess/filter run in this order).
// They read through ctx like any plugin (the proof that sandbox/plugin-api.ts is enough to
// write one); the few that own server state get the privileged methods they need here, at
// creation, and only those: ctx never carries them, so no user plugin can reach them.
import type { OfflineDelivery } from '../core/offline-delivery';
import type { OfflineStore } from '../core/offline-store';
import type { Plugin } from '../core/plugin';
import type { Router } from '../core/router';
import { createDiscoPlugin } from './disco';
import { iqPlugin } from './iq';
import { createMessagePlugin } from './message';
import { createOfflinePlugin } from './offline';
import { createOfflineFlexiblePlugin } from './offline-flexible';
import { pingPlugin } from './ping';
import { createPresencePlugin } from './presence';
import { rosterPlugin } from './roster';
import { sessionLegacyPlugin } from './session-legacy';
import { versionPlugin } from './version';

/** The server state the built-ins write (privileged; see the header). */
export interface BuiltinCapabilities {
  router: Router;
  offline: OfflineStore;
  /**
   * Paced delivery out of the offline store (core/offline-delivery.ts): the offline plugin gets
   * its flood, the XEP-0013 plugin its fetch. Writes outside a packet's run, to one session, with
   * flow control and a receipt per message; user plugins only ever see ctx.offline (read-only).
   */
  delivery: OfflineDelivery;
}

export function builtinPlugins(all: () => readonly Plugin[], { router, offline, delivery }: BuiltinCapabilities): Plugin[] {
  return [
    createPresencePlugin(router),
    createMessagePlugin(router),
    iqPlugin,
    createOfflinePlugin(router, offline, delivery),
    createOfflineFlexiblePlugin(router, offline, delivery),
    pingPlugin,
    createDiscoPlugin(all),
    versionPlugin,
    sessionLegacyPlugin,
    rosterPlugin,
  ];
}
