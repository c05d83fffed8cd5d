// Runs a parsed scenario (sandbox/scenario/parser.ts) against the embedded sandbox
// (sandbox/scenario/embedded.ts, one per script) when no server is given, or against any XMPP
// server (Prosody, ejabberd, …) at `server`: the CLI's and the tests' entry. The steps are the
// engine's (engine.ts); a run on the sandbox already running is live.ts's (control
// `scenario.run`). Against another server, a script that needs the sandbox (its trace, its
// plugins) is skipped with the reason.

import { embeddedCharacters } from './characters';
import { startEmbedded } from './embedded';
import { COMPONENT_PORT, PLUGIN_DIR_TAG, hostPort, pluginDirOf, runScript, type EngineOptions, type ScenarioResult, type ScenarioServer } from './engine';
import type { Script } from './parser';

export {
  DEFAULT_NOTHING_WINDOW_MS,
  DEFAULT_STEP_TIMEOUT_MS,
  hostPort,
  PLUGIN_DIR_TAG,
  pluginDirOf,
  skipReason,
  tagMatches,
  type EngineOptions,
  type ScenarioResult,
  type Status,
  type StepResult,
} from './engine';

export interface RunOptions extends EngineOptions {
  /** c2s of the server to test, `xmpp://host:port`; none: the embedded sandbox. */
  server?: string;
  /** The server's domain: the script's domain (that of its first client) is replaced by it. */
  domain?: string;
  /** Default `url` of [Queue] characters (and the embedded bridge's queue). */
  redis?: string;
}

/** Why the script can only run against the sandbox (its trace, its plugins), or null. */
export function sandboxOnlyReason(script: Script): string | null {
  const a = script.actions.find((x) => x.verb === 'outcome');
  if (a) return `line ${a.line} ('${a.text}') needs the sandbox's trace, which another server does not show: run it without --server`;
  const t = script.tags.find((x) => x.name === PLUGIN_DIR_TAG);
  if (t) return `line ${t.line} loads sandbox plugins (## ${PLUGIN_DIR_TAG}), which another server cannot: run it without --server`;
  return null;
}

/** Another XMPP server at `url`: its components at XEP-0114's customary port on the same host. */
function otherServer(url: string, opts: RunOptions): ScenarioServer {
  return {
    domain: opts.domain,
    failure: 'bad server address',
    async prepare(script) {
      const c2s = hostPort(url);
      return sandboxOnlyReason(script) ?? { sandbox: null, c2s, component: { host: c2s.host, port: COMPONENT_PORT }, queue: opts.redis ?? null };
    },
  };
}

/** A sandbox of the script's own: its domain, its accounts and components, its plugin-dir. */
function embeddedServer(opts: RunOptions): ScenarioServer {
  return {
    domain: opts.domain,
    failure: 'cannot start the embedded sandbox',
    async prepare(script, rewrite) {
      const domain = opts.domain ?? script.domain ?? 'localhost';
      const embedded = await startEmbedded(domain, embeddedCharacters(script, rewrite), { redis: opts.redis, pluginDir: pluginDirOf(script)?.dir });
      const { endpoints } = embedded;
      return {
        sandbox: embedded.sandbox,
        c2s: hostPort(endpoints.c2s),
        ...(endpoints.component && { component: hostPort(endpoints.component) }),
        queue: opts.redis ?? endpoints.queue,
        stop: () => embedded.stop(),
      };
    },
  };
}

/** Runs one script; never throws for what happens in it (that is a failed step). */
export function runScenario(script: Script, opts: RunOptions = {}): Promise<ScenarioResult> {
  return runScript(script, opts.server ? otherServer(opts.server, opts) : embeddedServer(opts), opts);
}
