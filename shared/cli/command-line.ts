/**
 * The one argument parser of every command line (`npm start` and the tools: loadtest, simulate,
 * the benchmarks, the DJL simulator, demo, key:new, model:fetch, warm-up), on `node:util`'s
 * `parseArgs`. It lives in shared/ because the server entry point reads its line too, and
 * functions/ never imports tools/. Each command declares its flags and a usage text, reads its
 * values through {@link FlagReader} (which collects a problem for every bad value instead of
 * stopping at the first) and hands the outcome to {@link exitUnlessRun}: `--help` prints the usage
 * and exits 0; any problem prints every problem and the usage, and exits 2.
 */
import { parseArgs } from 'node:util';

/** The flags of one command, as `parseArgs` takes them (`--help`/`-h` is always added). */
export type FlagSpec = Readonly<Record<string, { readonly type: 'string' | 'boolean'; readonly multiple?: boolean }>>;

/** Flags that each take one value, by name: `{ ...valueFlags('port', 'model') }`. */
export function valueFlags<N extends string>(...names: readonly N[]): Record<N, { readonly type: 'string' }> {
  return Object.fromEntries(names.map((name) => [name, { type: 'string' }])) as Record<N, { readonly type: 'string' }>;
}

/** What a command line asks for: the usage text, a run, or everything wrong with it. */
export type CommandLine<T> =
  | { readonly kind: 'help' }
  | { readonly kind: 'run'; readonly options: T }
  | { readonly kind: 'invalid'; readonly problems: readonly string[] };

/** A command line that was not a run; `problems` lists every bad flag. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'CLI_USAGE';

  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

/** Exit code of a command given bad flags (0 is `--help`, 1 a run that failed). */
export const EXIT_USAGE = 2;

type RawValue = string | boolean | (string | boolean)[] | undefined;
/** Marks the end of flags: what follows is positional, even `--help`. */
const END_OF_FLAGS = '--';
const HELP_FLAGS: readonly string[] = ['--help', '-h'];

/** Reads flag values, collecting a problem for each bad one instead of stopping at the first. */
export class FlagReader<S extends FlagSpec> {
  readonly problems: string[] = [];

  constructor(private readonly values: Readonly<Record<string, RawValue>>) {}

  /** Whether the flag was given at all (with or without a good value). */
  has(name: keyof S & string): boolean {
    return this.values[name] !== undefined;
  }

  /** The flag's value; the last one when repeated. */
  string(name: keyof S & string): string | undefined {
    const value = this.values[name];
    if (value === undefined) return undefined;
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (typeof last !== 'string') {
      this.problems.push(`--${name}: needs a value`);
      return undefined;
    }
    return last;
  }

  /** Every value of a repeatable flag, in order. */
  strings(name: keyof S & string): string[] {
    const value = this.values[name];
    const list = value === undefined ? [] : Array.isArray(value) ? value : [value];
    return list.flatMap((item) => {
      if (typeof item === 'string') return [item];
      this.problems.push(`--${name}: needs a value`);
      return [];
    });
  }

  /** A switch: true when given; a value given to it is a problem. */
  flag(name: keyof S & string): boolean {
    const value = this.values[name];
    if (value === undefined) return false;
    if (value !== true) this.problems.push(`--${name}: takes no value`);
    return true;
  }

  /**
   * A number within bounds: `min` inclusive, `above` exclusive, `integer` for whole numbers.
   * Undefined when the flag is absent or bad (a problem is recorded).
   */
  number(name: keyof S & string, bounds: NumberBounds = {}): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const value = Number(text);
    const { integer = false, min, above, max } = bounds;
    if (text.trim() === '' || !Number.isFinite(value) || (integer && !Number.isInteger(value))
      || (min !== undefined && value < min) || (above !== undefined && value <= above) || (max !== undefined && value > max)) {
      this.problems.push(`--${name}: expected ${describeBounds(bounds)}, got ${JSON.stringify(text)}`);
      return undefined;
    }
    return value;
  }

  /** One of `choices`. */
  choice<T extends string>(name: keyof S & string, choices: readonly T[]): T | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    if ((choices as readonly string[]).includes(text)) return text as T;
    this.problems.push(`--${name}: expected ${choices.join(', ')}, got ${JSON.stringify(text)}`);
    return undefined;
  }
}

/** What a number flag accepts. */
export interface NumberBounds {
  readonly integer?: boolean;
  readonly min?: number;
  readonly above?: number;
  readonly max?: number;
}

function describeBounds({ integer = false, min, above, max }: NumberBounds): string {
  const parts = [integer ? 'a whole number' : 'a number'];
  if (min !== undefined) parts.push(`>= ${min}`);
  if (above !== undefined) parts.push(`> ${above}`);
  if (max !== undefined) parts.push(`<= ${max}`);
  return parts.join(' ');
}

/** How a command reads its line. */
export interface CommandSpec<S extends FlagSpec> {
  readonly flags: S;
  /** Positional arguments allowed at most (default 0). */
  readonly maxPositionals?: number;
}

/**
 * Parses `argv` (without node and the script): `--help` or `-h` anywhere before `--` asks for the
 * usage, whatever else is there (it is never read as another flag's value); otherwise `build` reads
 * the values through the reader, and every problem (unknown flags, missing values, bad values,
 * stray arguments) comes back at once. Pure: argv in, outcome out.
 */
export function parseCommandLine<S extends FlagSpec, T>(
  spec: CommandSpec<S>,
  argv: readonly string[],
  build: (flags: FlagReader<S>, positionals: readonly string[]) => T,
): CommandLine<T> {
  const endOfFlags = argv.indexOf(END_OF_FLAGS);
  const flagPart = endOfFlags < 0 ? argv : argv.slice(0, endOfFlags);
  if (flagPart.some((arg) => HELP_FLAGS.includes(arg))) return { kind: 'help' };
  // Not strict, so that unknown flags are collected with the rest instead of thrown one by one.
  const { values, positionals, tokens } = parseArgs({
    args: [...argv], options: spec.flags, strict: false, allowPositionals: true, tokens: true,
  });
  const raw = values as Record<string, RawValue>;
  const problems: string[] = [];
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    if (!Object.hasOwn(spec.flags, token.name)) {
      problems.push(`${token.rawName}: not a flag (see --help)`);
    } else if (spec.flags[token.name]?.type === 'string' && (token.value === undefined || (!token.inlineValue && token.value.startsWith('--')))) {
      // A flag at the end of the line, or one that took the next flag as its value: that flag is
      // dropped here (not used as a value), and the line reported.
      problems.push(`--${token.name}: needs a value`);
      const current = raw[token.name];
      if (Array.isArray(current)) raw[token.name] = current.filter((item) => item !== token.value);
      else delete raw[token.name];
    }
  }
  const reader = new FlagReader<S>(raw);
  reader.problems.push(...problems);
  const allowed = spec.maxPositionals ?? 0;
  if (positionals.length > allowed) {
    const extra = positionals.slice(allowed).map((arg) => JSON.stringify(arg)).join(' ');
    reader.problems.push(`unexpected argument(s) ${extra}: every value follows a flag`);
  }
  const options = build(reader, positionals.slice(0, allowed));
  const found = [...new Set(reader.problems)];
  return found.length > 0 ? { kind: 'invalid', problems: found } : { kind: 'run', options };
}

/** The options of a run; throws {@link UsageError} for anything else (for tests and child processes). */
export function expectRun<T>(parsed: CommandLine<T>): T {
  if (parsed.kind === 'run') return parsed.options;
  throw new UsageError(parsed.kind === 'help' ? ['--help: no run asked for'] : parsed.problems);
}

/**
 * A command's options, or the end of the process: `--help` prints `usage` on stdout and exits 0;
 * problems go to stderr, each on its line, then the usage, and the process exits 2.
 */
export function exitUnlessRun<T>(parsed: CommandLine<T>, usage: string): T {
  if (parsed.kind === 'run') return parsed.options;
  if (parsed.kind === 'help') {
    process.stdout.write(`${usage.trimEnd()}\n`);
    process.exit(0);
  }
  process.stderr.write(`Invalid arguments:\n${parsed.problems.map((problem) => `  ${problem}`).join('\n')}\n\n${usage.trimEnd()}\n`);
  process.exit(EXIT_USAGE);
}
