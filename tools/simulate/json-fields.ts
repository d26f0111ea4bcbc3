/**
 * Reading a parsed JSON document field by field while collecting every problem, each naming the
 * field's path and what was expected, so a bad scenario file is fixed in one pass.
 */

export type JsonObject = Record<string, unknown>;

export const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export interface NumberRule {
  readonly min?: number;
  readonly max?: number;
  readonly integer?: boolean;
}

/** Collects problems; every getter returns a usable value (the default) even when it reports one. */
export class FieldReader {
  readonly problems: string[] = [];

  problem(path: string, message: string): void {
    this.problems.push(`${path}: ${message}`);
  }

  /** Reports keys of `object` that are not in `known`. */
  onlyKnown(path: string, object: JsonObject, known: readonly string[]): void {
    for (const key of Object.keys(object)) {
      if (!known.includes(key)) this.problem(`${path}.${key}`, `unknown field; the fields here are ${known.join(', ')}`);
    }
  }

  object(path: string, value: unknown): JsonObject {
    if (isObject(value)) return value;
    if (value !== undefined) this.problem(path, `expected an object, got ${JSON.stringify(value)}`);
    return {};
  }

  list(path: string, value: unknown): unknown[] {
    if (Array.isArray(value)) return value;
    if (value !== undefined) this.problem(path, `expected a list, got ${JSON.stringify(value)}`);
    return [];
  }

  number(path: string, value: unknown, fallback: number | undefined, rule: NumberRule = {}): number {
    if (value === undefined) {
      if (fallback === undefined) this.problem(path, `is missing; expected a number${describeRule(rule)}`);
      return fallback ?? rule.min ?? 0;
    }
    const ok = typeof value === 'number' && Number.isFinite(value) && (rule.integer !== true || Number.isInteger(value)) &&
      (rule.min === undefined || value >= rule.min) && (rule.max === undefined || value <= rule.max);
    if (!ok) {
      this.problem(path, `${JSON.stringify(value)} is not valid; expected ${rule.integer === true ? 'a whole number' : 'a number'}${describeRule(rule)}`);
      return fallback ?? rule.min ?? 0;
    }
    return value;
  }

  string(path: string, value: unknown, fallback: string | undefined): string {
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
    if (value !== undefined || fallback === undefined) {
      this.problem(path, value === undefined ? 'is missing; expected a non-empty string' : `expected a non-empty string, got ${JSON.stringify(value)}`);
    }
    return fallback ?? '';
  }

  boolean(path: string, value: unknown, fallback: boolean): boolean {
    if (value === undefined) return fallback;
    if (typeof value === 'boolean') return value;
    this.problem(path, `expected true or false, got ${JSON.stringify(value)}`);
    return fallback;
  }

  oneOf<T extends string>(path: string, value: unknown, choices: readonly T[]): T | undefined {
    if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
    this.problem(path, `${value === undefined ? 'is missing' : `${JSON.stringify(value)} is not allowed`}; expected one of ${choices.join(', ')}`);
    return undefined;
  }
}

function describeRule(rule: NumberRule): string {
  if (rule.min !== undefined && rule.max !== undefined) return ` from ${rule.min} to ${rule.max}`;
  if (rule.min !== undefined) return ` of at least ${rule.min}`;
  if (rule.max !== undefined) return ` of at most ${rule.max}`;
  return '';
}
