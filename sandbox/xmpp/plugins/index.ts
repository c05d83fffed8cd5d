// The built-in plugins, in registration order (preprocess/postprocess/filter run in this order).
import type { Plugin } from '../core/plugin';
import { createDiscoPlugin } from './disco';
import { iqPlugin } from './iq';
import { messagePlugin } from './message';
import { offlinePlugin } from './offline';
import { offlineFlexiblePlugin } from './offline-flexible';
import { pingPlugin } from './ping';
import { presencePlugin } from './presence';
import { rosterPlugin } from './roster';
import { sessionLegacyPlugin } from './session-legacy';
import { versionPlugin } from './version';

export function builtinPlugins(all: () => readonly Plugin[]): Plugin[] {
  return [presencePlugin, messagePlugin, iqPlugin, offlinePlugin, offlineFlexiblePlugin, pingPlugin, createDiscoPlugin(all), versionPlugin, sessionLegacyPlugin, rosterPlugin];
}
