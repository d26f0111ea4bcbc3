/**
 * A Dockerfile read the way `docker build` reads it, for tests on a machine with no Docker engine:
 * instructions (line continuations joined, comment lines dropped), the global ARGs, the stages,
 * and .dockerignore's verdict on a path of the build context. Enough for the forms the project's
 * Dockerfile uses; anything else fails loudly rather than being guessed.
 */

export interface Instruction {
  readonly keyword: string;
  /** Everything after the keyword, continuations joined with a space. */
  readonly args: string;
}

export interface Stage {
  readonly image: string;
  readonly name: string | undefined;
  readonly instructions: readonly Instruction[];
}

export interface Dockerfile {
  /** ARGs before the first FROM, with their defaults. */
  readonly globalArgs: Readonly<Record<string, string>>;
  readonly stages: readonly Stage[];
}

/** Splits the file into instructions. */
export function readInstructions(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (/^\s*#/.test(line) || (pending === '' && line.trim() === '')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    const whole = `${pending}${line.trim()}`.trim();
    pending = '';
    if (whole === '') continue;
    const match = /^(\S+)\s*(.*)$/s.exec(whole);
    if (match) instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]! });
  }
  if (pending !== '') throw new Error('the Dockerfile ends inside a line continuation');
  return instructions;
}

/** `NAME=default` of an ARG (no default: empty). */
export function argDefault(args: string): [string, string] {
  const [name = '', ...rest] = args.split('=');
  return [name.trim(), rest.join('=').trim()];
}

/** Parses a Dockerfile into global ARGs and stages. */
export function parseDockerfile(text: string): Dockerfile {
  const globalArgs: Record<string, string> = {};
  const stages: { image: string; name: string | undefined; instructions: Instruction[] }[] = [];
  for (const instruction of readInstructions(text)) {
    if (instruction.keyword === 'FROM') {
      const match = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      if (!match) throw new Error(`FROM ${instruction.args}: not understood`);
      stages.push({ image: match[1]!, name: match[2], instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword !== 'ARG') throw new Error(`${instruction.keyword} before the first FROM`);
      const [name, value] = argDefault(instruction.args);
      globalArgs[name] = value;
    } else {
      stages[stages.length - 1]!.instructions.push(instruction);
    }
  }
  return { globalArgs, stages };
}

/** `--flag=value` options at the start of an instruction's arguments, and the rest. */
export function splitFlags(args: string): { flags: Record<string, string>; rest: string } {
  const flags: Record<string, string> = {};
  let rest = args;
  for (let match = /^--([\w-]+)=(\S+)\s*/.exec(rest); match; match = /^--([\w-]+)=(\S+)\s*/.exec(rest)) {
    flags[match[1]!] = match[2]!;
    rest = rest.slice(match[0].length);
  }
  return { flags, rest };
}

/** `ENV A=1 B=2` (values without spaces or quotes, the form the project uses). */
export function envPairs(args: string): Record<string, string> {
  const pairs: Record<string, string> = {};
  for (const word of args.split(/\s+/).filter(Boolean)) {
    const at = word.indexOf('=');
    if (at <= 0) throw new Error(`ENV ${args}: only the KEY=value form is understood`);
    pairs[word.slice(0, at)] = word.slice(at + 1);
  }
  return pairs;
}

/** An exec-form command (`["node", "x"]`). */
export function execForm(args: string, what: string): string[] {
  const parsed = JSON.parse(args) as unknown;
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string')) throw new Error(`${what} ${args}: not the exec form`);
  return parsed;
}

/**
 * Whether .dockerignore keeps a context path (relative, `/`-separated) out of the build: the last
 * pattern that matches decides, `!` re-includes. Patterns: `*`, `dir/` or `name`, `** /*.ext`.
 */
export function isIgnored(dockerignore: string, path: string): boolean {
  let ignored = false;
  for (const raw of dockerignore.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const negated = line.startsWith('!');
    const pattern = (negated ? line.slice(1) : line).replace(/\/$/, '');
    let matches: boolean;
    if (pattern === '*') matches = true;
    else if (pattern.startsWith('**/*')) matches = path.endsWith(pattern.slice(4));
    else if (/[*?[]/.test(pattern)) throw new Error(`.dockerignore pattern ${line}: not understood by this reader`);
    else matches = path === pattern || path.startsWith(`${pattern}/`);
    if (matches) ignored = !negated;
  }
  return ignored;
}
