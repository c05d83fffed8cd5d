// The CLI's argument layer: subcommands are data (name, summary, options, positionals, run),
// parsed with node:util parseArgs and checked here, so every command gets the same errors
// (the bad flag named, the closest known one suggested, exit 2) and a help text generated
// from its table entry. The table itself is sandbox/cli/commands.ts.

import { parseArgs } from 'node:util';
import { closest, didYouMean } from '../text';

export const PROG = 'xmpp-sandbox';

interface OptionBase {
  /** One line for --help. */
  help: string;
  /** One-letter alias, e.g. 'o' for -o. */
  short?: string;
  /** Parsed and accepted, but left out of --help (e.g. serve's --ipc). */
  hidden?: boolean;
}
export interface BooleanOption extends OptionBase {
  type: 'boolean';
}
export interface StringOption extends OptionBase {
  type: 'string';
  /** Placeholder in --help, e.g. DIR; default VALUE, or the choices when there are few. */
  value?: string;
  /** The only values accepted. */
  choices?: readonly string[];
  /** May be given several times; the command receives every value, in order. */
  multiple?: boolean;
  /** Used when the flag is absent, and shown in --help. */
  default?: string;
  /** Shown in --help as the default without being applied (another layer, e.g. the config, supplies it). */
  defaultText?: string;
}
export interface IntegerOption extends OptionBase {
  type: 'integer';
  value?: string;
  min: number;
  max: number;
  multiple?: boolean;
  default?: number;
  defaultText?: string;
}
export type OptionSpec = BooleanOption | StringOption | IntegerOption;
export type OptionTable = Record<string, OptionSpec>;

export interface PositionalSpec {
  /** Shown in usage and help as <name>. */
  name: string;
  help: string;
  required?: boolean;
  /** Takes every remaining argument (last positional only). */
  variadic?: boolean;
}

type Scalar<S> = S extends { type: 'integer' } ? number : S extends { choices: readonly (infer C)[] } ? C : string;
/** What a command's run() receives for its option table: absent booleans are false, absent repeatables []. */
export type OptionValues<O extends OptionTable> = {
  [K in keyof O]: O[K] extends BooleanOption ? boolean : O[K] extends { multiple: true } ? Scalar<O[K]>[] : O[K] extends { default: string | number } ? Scalar<O[K]> : Scalar<O[K]> | undefined;
};

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export interface CommandContext {
  io: CliIo;
  positionals: string[];
}

/** A command's result: an exit code, or 'running' when it leaves the process serving. */
export type CommandResult = number | 'running';

export interface CommandSpec<O extends OptionTable> {
  name: string;
  /** One line, for the global --help. */
  summary: string;
  /** Extra paragraph for the command's own --help. */
  description?: string;
  options: O;
  positionals?: readonly PositionalSpec[];
  run(values: OptionValues<O>, ctx: CommandContext): Promise<CommandResult>;
}

/** A table entry with its option types erased, so commands of different shapes share one array. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly description?: string;
  readonly options: OptionTable;
  readonly positionals: readonly PositionalSpec[];
  run(values: Record<string, unknown>, ctx: CommandContext): Promise<CommandResult>;
}

export function defineCommand<const O extends OptionTable>(spec: CommandSpec<O>): Command {
  return { ...spec, positionals: spec.positionals ?? [], run: (values, ctx) => spec.run(values as OptionValues<O>, ctx) };
}

/** A bad command line: the dispatcher prints the message and a usage line, and exits 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: Command,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

// ---------------------------------------------------------------- parsing

const HELP_OPTION: BooleanOption = { type: 'boolean', short: 'h', help: 'this help' };

function flagOf(name: string): string {
  return `--${name}`;
}

function convert(name: string, spec: StringOption | IntegerOption, raw: string, command: Command): string | number {
  const flag = flagOf(name);
  if (spec.type === 'integer') {
    const n = /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(n) || n < spec.min || n > spec.max) {
      const range = spec.max === Number.MAX_SAFE_INTEGER ? `of at least ${spec.min}` : `from ${spec.min} to ${spec.max}`;
      throw new UsageError(`${flag} needs an integer ${range}, got '${raw}'`, command);
    }
    return n;
  }
  if (spec.choices && !spec.choices.includes(raw)) {
    throw new UsageError(`${flag} must be one of ${spec.choices.join(', ')}, got '${raw}'${didYouMean(closest(raw, spec.choices))}`, command);
  }
  return raw;
}

export interface Parsed {
  help: boolean;
  values: Record<string, unknown>;
  positionals: string[];
}

/** Parses a command's arguments against its table; throws UsageError naming the first bad flag. */
export function parseCommandArgs(command: Command, args: readonly string[]): Parsed {
  const table: OptionTable = { ...command.options, help: HELP_OPTION };
  const config: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, spec] of Object.entries(table)) config[name] = { type: spec.type === 'boolean' ? 'boolean' : 'string', ...(spec.short ? { short: spec.short } : {}) };
  // Not strict: node's strict mode refuses `--ws-port -1` (a value that starts with '-') and
  // words its own errors; the tokens are checked below instead, against the same table.
  const { tokens } = parseArgs({ args: [...args], options: config, strict: false, allowPositionals: true, tokens: true });
  if (tokens.some((t) => t.kind === 'option' && t.name === 'help')) return { help: true, values: {}, positionals: [] };

  const values: Record<string, unknown> = {};
  const positionals: string[] = [];
  const known = Object.entries(table).filter(([, s]) => !s.hidden).map(([n]) => flagOf(n));
  for (const t of tokens) {
    if (t.kind === 'positional') positionals.push(t.value);
    if (t.kind !== 'option') continue;
    const spec = table[t.name];
    if (!spec) {
      throw new UsageError(`unknown option '${t.rawName}'${didYouMean(closest(t.rawName, known))}`, command);
    }
    const flag = flagOf(t.name);
    if (spec.type === 'boolean') {
      if (t.value !== undefined) throw new UsageError(`${flag} takes no value, got '${t.value}'`, command);
      values[t.name] = true;
      continue;
    }
    // A separate value that looks like an option (not a negative number) is a forgotten value.
    if (t.value === undefined || (!t.inlineValue && /^-(?!\d)/.test(t.value))) {
      throw new UsageError(`${flag} needs a value${t.value === undefined ? '' : ` (got the option '${t.value}'; write ${flag}=${t.value} if that is the value)`}`, command);
    }
    const v = convert(t.name, spec, t.value, command);
    if (spec.multiple) ((values[t.name] ??= []) as unknown[]).push(v);
    else values[t.name] = v; // repeated single-valued flags: the last one wins
  }
  for (const [name, spec] of Object.entries(command.options)) {
    if (name in values) continue;
    if (spec.type === 'boolean') values[name] = false;
    else if (spec.multiple) values[name] = spec.default === undefined ? [] : [spec.default];
    else if (spec.default !== undefined) values[name] = spec.default;
  }

  const specs = command.positionals;
  const variadic = specs.at(-1)?.variadic === true;
  if (!variadic && positionals.length > specs.length) {
    throw new UsageError(`unexpected argument '${positionals[specs.length]}'${specs.length ? '' : ` (${command.name} takes no arguments)`}`, command);
  }
  const missing = specs.find((s, i) => s.required && positionals[i] === undefined);
  if (missing) throw new UsageError(`missing <${missing.name}>`, command);
  return { help: false, values, positionals };
}

// ---------------------------------------------------------------- help

function usageOf(command: Command): string {
  const pos = command.positionals.map((p) => {
    const name = `<${p.name}>${p.variadic ? '...' : ''}`;
    return p.required ? name : `[${name}]`;
  });
  return [PROG, command.name, '[options]', ...pos].join(' ');
}

/** The line printed under an error. */
export function shortUsage(command?: Command): string {
  return command ? `usage: ${usageOf(command)}   ('${PROG} ${command.name} --help' lists its options)\n` : `usage: ${PROG} <command> [options]   ('${PROG} --help' lists the commands)\n`;
}

function columns(rows: readonly [string, string][]): string {
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  return rows.map(([l, r]) => `  ${l.padEnd(width)}${r}`.trimEnd() + '\n').join('');
}

function optionRow(name: string, spec: OptionSpec): [string, string] {
  let left = `${spec.short ? `-${spec.short}, ` : ''}${flagOf(name)}`;
  let right = spec.help;
  if (spec.type !== 'boolean') {
    const choices = spec.type === 'string' ? spec.choices : undefined;
    left += ` ${spec.value ?? (choices ? 'MODE' : spec.type === 'integer' ? 'N' : 'VALUE')}`;
    if (choices) right += `: ${choices.join(' | ')}`;
    const shown = spec.defaultText ?? spec.default;
    if (shown !== undefined) right += ` (default ${shown})`;
    if (spec.multiple) right += ' (repeatable)';
  }
  return [left, right];
}

export function commandHelp(command: Command): string {
  const options = Object.entries({ ...command.options, help: HELP_OPTION }).filter(([, s]) => !s.hidden);
  return (
    `${PROG} ${command.name}: ${command.summary}\n\n` +
    `Usage: ${usageOf(command)}\n` +
    (command.description ? `\n${command.description}\n` : '') +
    (command.positionals.length ? `\nArguments:\n${columns(command.positionals.map((p) => [`<${p.name}>`, p.help]))}` : '') +
    `\nOptions:\n${columns(options.map(([n, s]) => optionRow(n, s)))}`
  );
}

export function globalHelp(commands: readonly Command[], defaultCommand: string): string {
  return (
    `${PROG}: a local XMPP server, Redis-compatible queue and bridge for app-to-app development\n\n` +
    `Usage: ${PROG} <command> [options]     (npm start -- <command> [options])\n` +
    `       ${PROG} [options]               runs '${defaultCommand}'\n\n` +
    `Commands:\n${columns(commands.map((c) => [c.name, c.summary + (c.name === defaultCommand ? ' (the default)' : '')]))}\n` +
    `Options:\n${columns([
      ['-h, --help', `this help; '${PROG} <command> --help' lists a command's options`],
      ['--version', 'print the version'],
    ])}`
  );
}
