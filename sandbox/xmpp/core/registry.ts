// The plugin registry: which plugins run at which stage, their process-stage queues
// (Tigase: each processor has its own fixed-size queue, hashed by bare JID so one user's
// stanzas stay in order), and the explorer's view of them (PluginInfo).

import type { PluginInfo, PluginStage } from '../../control/api';
import type { Plugin } from './plugin';
import type { Packet } from './packet';
import { STANZA_NAMESPACES } from '../vocabulary';

export interface RegisteredPlugin {
  readonly plugin: Plugin;
  /** 'builtin' or the file it came from. */
  readonly origin: string;
  /** Process-stage packets waiting or running. */
  queued: number;
  /** Per-bare-JID tail of the process queue (ordering). */
  readonly chains: Map<string, Promise<unknown>>;
}

/** The stanza's own namespace is the stream's default: an unqualified top-level match. */
const STREAM_NS = new Set(STANZA_NAMESPACES);

function elementMatches(el: import('@xmpp/xml').Element, path: readonly string[], depth: number, xmlns: string | undefined): boolean {
  const name = path[depth]!;
  if (name !== '*' && el.name !== name) return false;
  if (depth === path.length - 1) {
    if (!xmlns) return true;
    const ns = el.attrs.xmlns;
    if (depth === 0) return ns === undefined || ns === xmlns || (STREAM_NS.has(xmlns) && STREAM_NS.has(ns));
    return ns === xmlns || (ns === undefined && el.getNS() === xmlns);
  }
  for (const c of el.children) {
    if (typeof c === 'object' && elementMatches(c, path, depth + 1, xmlns)) return true;
  }
  return false;
}

export class PluginRegistry {
  private all: RegisteredPlugin[] = [];
  pre: RegisteredPlugin[] = [];
  proc: RegisteredPlugin[] = [];
  post: RegisteredPlugin[] = [];
  filt: RegisteredPlugin[] = [];

  constructor(private readonly onChange: () => void = () => {}) {}

  /** Register; throws on a malformed plugin or a duplicate id. Returns the unregister function. */
  add(plugin: Plugin, origin = 'builtin'): () => void {
    validatePlugin(plugin);
    if (this.all.some((r) => r.plugin.id === plugin.id)) throw new Error(`a plugin with id '${plugin.id}' is already loaded`);
    const reg: RegisteredPlugin = { plugin, origin, queued: 0, chains: new Map() };
    this.all.push(reg);
    this.rebuild();
    return () => this.remove(reg);
  }

  remove(reg: RegisteredPlugin): void {
    const i = this.all.indexOf(reg);
    if (i < 0) return;
    this.all.splice(i, 1);
    this.rebuild();
    try {
      reg.plugin.unload?.();
    } catch {
      // a failing unload must not keep the plugin registered
    }
  }

  /** Remove every plugin loaded from a file (user plugins), calling unload. */
  removeWhere(pred: (r: RegisteredPlugin) => boolean): void {
    for (const r of this.all.filter(pred)) this.remove(r);
  }

  plugins(): readonly RegisteredPlugin[] {
    return this.all;
  }

  private rebuild(): void {
    this.pre = this.all.filter((r) => r.plugin.preProcess);
    this.proc = this.all.filter((r) => r.plugin.process && r.plugin.handles?.length);
    this.post = this.all.filter((r) => r.plugin.postProcess);
    this.filt = this.all.filter((r) => r.plugin.filter);
    this.onChange();
  }

  /** Does this processor want the packet (handles path + xmlns of the last element, types, direction)? */
  static wants(reg: RegisteredPlugin, p: Packet): boolean {
    const pl = reg.plugin;
    if (pl.directions && !pl.directions.includes(p.direction)) return false;
    if (pl.types && !pl.types.includes(p.type)) return false;
    for (const h of pl.handles!) if (elementMatches(p.element, h.path, 0, h.xmlns)) return true;
    return false;
  }

  info(queueCapacity: number): PluginInfo[] {
    return this.all.map((r) => {
      const pl = r.plugin;
      const stages: PluginStage[] = [];
      if (pl.preProcess) stages.push('preprocess');
      if (pl.process && pl.handles?.length) stages.push('process');
      if (pl.postProcess) stages.push('postprocess');
      if (pl.filter) stages.push('filter');
      const info: PluginInfo = { id: pl.id, origin: r.origin, stages, handles: (pl.handles ?? []).map((h) => ({ path: [...h.path], ...(h.xmlns ? { xmlns: h.xmlns } : {}) })) };
      if (pl.types) info.types = [...pl.types];
      if (stages.includes('process')) {
        info.queued = r.queued;
        info.queueCapacity = queueCapacity;
      }
      return info;
    });
  }
}

/** Clear errors for user plugins that do not have the shape the loader expects. */
export function validatePlugin(p: unknown): asserts p is Plugin {
  if (!p || typeof p !== 'object') throw new Error('a plugin must be an object');
  const pl = p as Record<string, unknown>;
  if (typeof pl.id !== 'string' || !pl.id) throw new Error('a plugin needs a non-empty string id');
  for (const k of ['preProcess', 'process', 'postProcess', 'filter', 'streamFeatures', 'discoFeatures', 'discoNodes', 'unload']) {
    if (pl[k] !== undefined && typeof pl[k] !== 'function') throw new Error(`plugin '${pl.id}': ${k} must be a function`);
  }
  if (pl.handles !== undefined) {
    if (!Array.isArray(pl.handles)) throw new Error(`plugin '${pl.id}': handles must be an array of {path, xmlns?}`);
    for (const h of pl.handles as unknown[]) {
      const hh = h as { path?: unknown; xmlns?: unknown };
      if (!hh || !Array.isArray(hh.path) || hh.path.length === 0 || !hh.path.every((s) => typeof s === 'string')) {
        throw new Error(`plugin '${pl.id}': each handles entry needs a non-empty path of element names`);
      }
      if (hh.xmlns !== undefined && typeof hh.xmlns !== 'string') throw new Error(`plugin '${pl.id}': handles xmlns must be a string`);
    }
  }
  if (pl.process && !pl.handles) throw new Error(`plugin '${pl.id}': process needs handles (which elements it wants)`);
  for (const k of ['types', 'directions']) {
    if (pl[k] !== undefined && (!Array.isArray(pl[k]) || !(pl[k] as unknown[]).every((s) => typeof s === 'string'))) {
      throw new Error(`plugin '${pl.id}': ${k} must be an array of strings`);
    }
  }
}
