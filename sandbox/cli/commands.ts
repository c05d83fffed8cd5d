// The CLI's subcommands, one entry each (shape: sandbox/cli/args.ts CommandSpec). A new
// command is a file of its own exporting defineCommand({...}), added to this list.

import type { Command } from './args';
import { serve } from './serve';
import { newProject } from './new';
import { test } from './test';

export const COMMANDS: readonly Command[] = [serve, newProject, test];

/** Runs when the first argument is not a command name, so `xmpp-sandbox --c2s-port 0` and `dist/sandbox.js --ipc` serve. */
export const DEFAULT_COMMAND = serve.name;
