// XEP-0092 Software Version of the server (§2).
import { xml } from '@xmpp/xml';
import type { Plugin } from '../core/plugin';
import { NS_VERSION } from '../vocabulary';

export const SERVER_NAME = 'sandbox';
export const SERVER_VERSION = '0.1.0';

export const versionPlugin: Plugin = {
  id: 'version',
  handles: [{ path: ['iq', 'query'], xmlns: NS_VERSION }],
  types: ['get'],
  process(p, ctx) {
    if (!ctx.isServer(p.to)) return false;
    ctx.result(xml('query', { xmlns: NS_VERSION }, xml('name', {}, SERVER_NAME), xml('version', {}, SERVER_VERSION)));
  },
  discoFeatures: () => [NS_VERSION],
};
