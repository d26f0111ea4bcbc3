/**
 * A small reader over an environment map that collects every problem instead of stopping at the
 * first, so one start-up error lists every bad key (STYLE.md rule 5). Hand-written rather than a
 * schema library: zod costs ~60 ms of import on a Lambda cold start for a dozen keys.
 */

export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'config_invalid';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
      problems.map((p) => `  - ${p}`).join('\n'));
  }
}

export interface IntRule {
  min?: number;
  max?: number;
}

export class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  /** The trimmed value, or undefined when unset or blank. */
  raw(key: string): string | undefined {
    const value = this.env[key]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  string(key: string, fallback: string): string {
    return this.raw(key) ?? fallback;
  }

  int(key: string, fallback: number, rule: IntRule = {}): number {
    const value = this.raw(key);
    if (value === undefined) return fallback;
    const parsed = Number(value.replaceAll('_', ''));
    const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = rule;
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      this.problems.push(`${key}=${JSON.stringify(value)}: expected a whole number from ${min} to ${max}`);
      return fallback;
    }
    return parsed;
  }

  bool(key: string, fallback: boolean): boolean {
    const value = this.raw(key)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(value)) return true;
    if (['0', 'false', 'no', 'off'].includes(value)) return false;
    this.problems.push(`${key}=${JSON.stringify(value)}: expected true or false`);
    return fallback;
  }

  oneOf<const T extends string>(key: string, choices: readonly T[], fallback: T): T {
    const value = this.raw(key);
    if (value === undefined) return fallback;
    const match = choices.find((choice) => choice === value.toLowerCase());
    if (match === undefined) {
      this.problems.push(`${key}=${JSON.stringify(value)}: expected one of ${choices.join(', ')}`);
      return fallback;
    }
    return match;
  }

  /** Comma-separated list, blanks dropped. */
  list(key: string): string[] {
    return (this.raw(key) ?? '').split(',').map((item) => item.trim()).filter((item) => item !== '');
  }

  problem(message: string): void {
    this.problems.push(message);
  }

  /** Throws one ConfigError naming every problem found so far. */
  finish(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}
