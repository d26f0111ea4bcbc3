/**
 * Deterministic stand-in embeddings and their JSON text, shared by the DJL simulator and by tests
 * that check every vector came back for the right text in the right order.
 */

/** FNV-1a 32-bit offset basis and prime (http://www.isthe.com/chongo/tech/comp/fnv/). */
const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
/** mulberry32 increment (the golden-ratio constant it is published with). */
const MULBERRY_INCREMENT = 0x6d2b79f5;
const UINT32_RANGE = 0x1_0000_0000;

/** FNV-1a over UTF-16 code units: cheap, stable across runs and platforms. */
function hashText(text: string): number {
  let hash = FNV_OFFSET_BASIS;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

/** mulberry32: a tiny seeded PRNG returning floats in [0, 1). */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + MULBERRY_INCREMENT) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / UINT32_RANGE;
  };
}

/**
 * The vector the simulator returns for `text`: deterministic per text (the dimension only
 * truncates or extends the same stream), L2-normalised, and every value already a float32
 * (`Math.fround(v) === v`), so storing it in a `Float32Array` and reading it back is exact.
 */
export function simulatedEmbedding(text: string, dim: number): number[] {
  if (!Number.isInteger(dim) || dim < 1) {
    throw new RangeError(`dimension must be a positive integer, got ${dim}`);
  }
  const next = mulberry32(hashText(text));
  const raw = new Array<number>(dim);
  let sumSquares = 0;
  for (let i = 0; i < dim; i++) {
    const value = next() * 2 - 1;
    raw[i] = value;
    sumSquares += value * value;
  }
  // A zero vector needs every draw to be exactly 0.5; guard anyway so the division is safe.
  const norm = Math.sqrt(sumSquares) || 1;
  for (let i = 0; i < dim; i++) {
    raw[i] = Math.fround((raw[i] ?? 0) / norm);
  }
  return raw;
}

/** How vector numbers are written on the wire. */
export const FLOAT_FORMATS = {
  /** JavaScript's shortest text for the double: parses back to exactly `simulatedEmbedding`. */
  exact: 'exact',
  /**
   * What DJL really sends (Gson writes Java's `Float.toString`): the shortest digits that identify
   * the float32 and E-notation outside [1e-3, 1e7), e.g. `-0.04811321` or `7.5421E-4`. Compare
   * with `Math.fround(parsed)`; bodies are about half the size of `exact`.
   */
  java: 'java',
} as const;

/** One of {@link FLOAT_FORMATS}. */
export type FloatFormat = (typeof FLOAT_FORMATS)[keyof typeof FLOAT_FORMATS];

const FLOAT32_MAX_DIGITS = 9;
/** Java writes plain decimals for magnitudes in [1e-3, 1e7) and E-notation outside. */
const JAVA_PLAIN_MIN_EXPONENT = -3;
const JAVA_PLAIN_MAX_EXPONENT = 7;
const DECIMAL_BASE = 10;
const ZERO_CHAR_CODE = 48;

/** Exact powers of ten (every one up to 1e22 is a double without rounding). */
const MAX_EXACT_POWER = 22;
const POWERS_OF_TEN: readonly number[] = Array.from(
  { length: MAX_EXACT_POWER + 1 },
  (_, power) => DECIMAL_BASE ** power,
);

function powerOfTen(power: number): number {
  return POWERS_OF_TEN[power] ?? DECIMAL_BASE ** power;
}

/** `m / 10^shift`, correctly rounded like parsing the decimal text (exact powers up to 1e22). */
function scaleDown(mantissa: number, shift: number): number {
  return shift >= 0 ? mantissa / powerOfTen(shift) : mantissa * powerOfTen(-shift);
}

/**
 * Java `Float.toString` for a float32 value: the fewest significant digits that parse back to the
 * same float32, plain between 1e-3 and 1e7, else `d.dddE-n`. Done with integer arithmetic because
 * `toPrecision` in a loop cost ~0.4 ms per 384-dimension vector, too slow for a GPU profile.
 */
export function formatFloat32Java(value: number): string {
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
  const magnitude = Math.abs(value);
  let exponent = Math.floor(Math.log10(magnitude));
  if (scaleDown(1, -exponent) > magnitude) exponent--;
  else if (scaleDown(1, -exponent - 1) <= magnitude) exponent++;
  // Nine significant digits always identify a float32; drop digits while the value survives.
  let shift = FLOAT32_MAX_DIGITS - 1 - exponent;
  let mantissa = Math.round(scaleDown(magnitude, -shift));
  for (let digits = FLOAT32_MAX_DIGITS - 1; digits >= 1; digits--) {
    const candidateShift = digits - 1 - exponent;
    const candidate = Math.round(scaleDown(magnitude, -candidateShift));
    if (Math.fround(scaleDown(candidate, candidateShift)) !== magnitude) break;
    mantissa = candidate;
    shift = candidateShift;
  }
  let digitText = String(mantissa);
  // Rounding up (9.99 -> 10.0) can add a digit; the leading digit's exponent follows the text.
  const leadExponent = digitText.length - 1 - shift;
  let end = digitText.length;
  while (end > 1 && digitText.charCodeAt(end - 1) === ZERO_CHAR_CODE) end--;
  digitText = digitText.slice(0, end);
  const sign = value < 0 ? '-' : '';
  if (leadExponent >= JAVA_PLAIN_MIN_EXPONENT && leadExponent < JAVA_PLAIN_MAX_EXPONENT) {
    if (leadExponent < 0) return `${sign}0.${'0'.repeat(-leadExponent - 1)}${digitText}`;
    const whole = digitText.slice(0, leadExponent + 1).padEnd(leadExponent + 1, '0');
    const fraction = digitText.slice(leadExponent + 1) || '0';
    return `${sign}${whole}.${fraction}`;
  }
  return `${sign}${digitText[0]}.${digitText.slice(1) || '0'}E${leadExponent}`;
}

/** JSON text of one vector in the given format (compact, as DJL writes it). */
export function vectorJson(vector: readonly number[], format: FloatFormat): string {
  if (format === FLOAT_FORMATS.exact) return JSON.stringify(vector);
  let out = '[';
  for (let i = 0; i < vector.length; i++) {
    if (i > 0) out += ',';
    out += formatFloat32Java(vector[i] ?? 0);
  }
  return `${out}]`;
}
