// Picks the subcommand from the command line and runs it: `xmpp-sandbox <command> [options]`,
// or the default command when the first argument is an option (or there is none).
// Global: -h/--help lists the commands, --version prints the package version.

import { version } from '../../package.json';
import { COMMANDS, DEFAULT_COMMAND } from './commands';
import { PROG, UsageError, commandHelp, globalHelp, parseCommandArgs, shortUsage, type CliIo, type Command, type CommandResult } from './args';
import { closest, didYouMean } from '../text';

export async function runCli(argv: readonly string[], io: CliIo, commands: readonly Command[] = COMMANDS, defaultCommand = DEFAULT_COMMAND): Promise<CommandResult> {
  const first = argv[0];
  if (first === '-h' || first === '--help') {
    io.out(globalHelp(commands, defaultCommand));
    return 0;
  }
  if (first === '--version') {
    io.out(`${version}\n`);
    return 0;
  }
  const named = first !== undefined && !first.startsWith('-');
  const name = named ? first : defaultCommand;
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.err(`${PROG}: unknown command '${name}'${didYouMean(closest(name, commands.map((c) => c.name)))}\n${shortUsage()}`);
    return 2;
  }
  try {
    const parsed = parseCommandArgs(command, named ? argv.slice(1) : argv);
    if (parsed.help) {
      io.out(commandHelp(command));
      return 0;
    }
    return await command.run(parsed.values, { io, positionals: parsed.positionals });
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`${PROG} ${command.name}: ${err.message}\n${shortUsage(err.command ?? command)}`);
    return 2;
  }
}
