/**
 * Checks a 5-field cron expression's syntax and ranges without a cron library, so that reading
 * the configuration (which every entry point does, the embed Lambda included) does not load
 * cron-parser and luxon: about 100 KB, nearly half of the embed function's startup bundle. The
 * warm-up itself reads the schedule with cron-parser (burst-windows.ts).
 */

interface CronField {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Names accepted in place of numbers (month and weekday names), lower case, mapped to values. */
  readonly names?: Readonly<Record<string, number>>;
  /** `?` (no specific value) is allowed in the day fields. */
  readonly question?: boolean;
  /** Extra tokens cron-parser accepts in this field: `L` (last day), `5L`, `1#2` (nth weekday). */
  readonly special?: RegExp;
}

const MONTHS = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 } as const;
const WEEKDAYS = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } as const;

const FIELDS: readonly CronField[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31, question: true, special: /^L$/i },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  // 7 is Sunday too, as in most crons.
  { name: 'day-of-week', min: 0, max: 7, names: WEEKDAYS, question: true, special: /^[0-7]L$|^[0-7]#[1-5]$/i },
];

/** Why `cron` is not a valid 5-field expression, or undefined when it is. */
export function cronSyntaxProblem(cron: string): string | undefined {
  const parts = cron.trim().split(/\s+/).filter((part) => part !== '');
  if (parts.length !== FIELDS.length) return `expected ${FIELDS.length} fields, got ${parts.length}`;
  for (const [index, field] of FIELDS.entries()) {
    const problem = fieldProblem(parts[index] as string, field);
    if (problem !== undefined) return `${field.name} "${parts[index]}": ${problem}`;
  }
  return undefined;
}

function fieldProblem(text: string, field: CronField): string | undefined {
  if (text === '?' && field.question === true) return undefined;
  for (const item of text.split(',')) {
    if (field.special?.test(item) === true) continue;
    const [range, step, extra] = item.split('/');
    if (extra !== undefined || range === undefined || range === '') return `"${item}" is not a value, a range or a step`;
    if (step !== undefined && !/^[1-9]\d*$/.test(step)) return `step "${step}" must be a whole number above 0`;
    if (range === '*') continue;
    const bounds = range.split('-');
    if (bounds.length > 2) return `"${range}" is not a range such as 1-5`;
    const values: number[] = [];
    for (const bound of bounds) {
      const value = valueOf(bound, field);
      if (value === undefined) return `"${bound}" is not a number${field.names ? ' or a name' : ''}`;
      if (value < field.min || value > field.max) return `${value} is outside ${field.min}-${field.max}`;
      values.push(value);
    }
    if (values.length === 2 && (values[0] as number) > (values[1] as number)) return `range "${range}" runs backwards`;
  }
  return undefined;
}

function valueOf(text: string, field: CronField): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  return field.names?.[text.toLowerCase()];
}
