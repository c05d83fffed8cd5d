// Control `scenario.run`: a script run inside a sandbox that is already running (the
// extension's child process), against it, so its stanzas are in the trace the inspector shows.
// It does what the embedded sandbox (embedded.ts) does for a fresh sandbox, on the live one:
// - the script's domain becomes the sandbox's (as --domain does);
// - the characters' accounts and component secrets are declared for the run only
//   (XmppServer.credentials): they win over the settings while it lasts and are removed after
//   it, so the sandbox is left as its settings made it (a client logging in as a character
//   meanwhile needs the script's password);
// - the run's sessions are tagged (trace.tagRun) and untagged at its end: `run:<tag>` in the
//   inspector shows them; trace expectations read this sandbox's trace;
// - the result is the CLI's --json report (report.ts), so an editor handles one shape.
// A `## plugin-dir` script runs only when the sandbox has loaded plugins from that folder.

import { readFile } from 'node:fs/promises';
import { dirname, resolve as resolvePath } from 'node:path';
import { ControlError, type Endpoints, type PluginInfo } from '../control/api';
import type { RunCredentials } from '../xmpp/auth/accounts';
import { declaredCredentials, embeddedCharacters } from './characters';
import { hostPort, pluginDirOf, runScript, type ScenarioSandbox, type ScenarioServer } from './engine';
import { parseScenario, type Script } from './parser';
import { jsonReport, type JsonReport } from './report';

/** The running sandbox, in this process, as a run on it needs it (LocalControl passes its parts). */
export interface LiveSandbox extends ScenarioSandbox {
  endpoints: Endpoints;
  /** Where the run declares its characters' accounts and component secrets, for its duration. */
  credentials: RunCredentials;
  /** The plugins loaded, for a script's `## plugin-dir`. */
  plugins(): PluginInfo[];
}

export interface LiveRunParams {
  /** The script's path (its name in the report; `## plugin-dir` is relative to it). */
  file: string;
  /** The script's text; read from `file` when absent (an editor passes unsaved text). */
  text?: string;
  /** Run to Here: only the steps that start on this line or before it (1-based). */
  untilLine?: number;
  /** A step's timeout unless it says `within` (ms). */
  timeoutMs?: number;
}

export async function runOnLiveSandbox(live: LiveSandbox, p: LiveRunParams): Promise<JsonReport> {
  let text = p.text;
  if (text === undefined) {
    try {
      text = await readFile(p.file, 'utf8');
    } catch (err) {
      throw new ControlError('not-found', `cannot read the scenario ${p.file}: ${(err as Error).message}`);
    }
  }
  const result = await runScript(parseScenario(text, p.file), liveServer(live), { untilLine: p.untilLine, timeoutMs: p.timeoutMs });
  return jsonReport([result]);
}

function liveServer(live: LiveSandbox): ScenarioServer {
  return {
    domain: live.endpoints.domain,
    failure: 'cannot run on the sandbox',
    async prepare(script, rewrite, run) {
      const noPlugins = missingPlugins(script, live);
      if (noPlugins) return noPlugins;
      const release = live.credentials.declare(declaredCredentials(live.endpoints.domain, embeddedCharacters(script, rewrite)));
      const { endpoints } = live;
      return {
        sandbox: live,
        c2s: hostPort(endpoints.c2s),
        ...(endpoints.component && { component: hostPort(endpoints.component) }),
        queue: endpoints.queue,
        async stop() {
          // The sandbox goes on: end the run's tagging (its events keep the tag) and its accounts.
          await live.control.call('trace.untagRun', { run }).catch(() => undefined);
          release();
        },
      };
    },
  };
}

/** A `## plugin-dir` script runs only when the sandbox has loaded plugins from that folder (the run loads none). */
function missingPlugins(script: Script, live: LiveSandbox): string | null {
  const wanted = pluginDirOf(script);
  if (!wanted || live.plugins().some((p) => dirname(resolvePath(p.origin)) === wanted.dir)) return null;
  const { dir, line } = wanted;
  return `line ${line} needs the plugins of ${dir}, which the running sandbox has not loaded (its plugin folder is a setting): load them there, or stop the sandbox to run the script on one of its own`;
}
