/**
 * Per-series handles for the counters and histograms moved on every request and batch. prom-client
 * builds a label hash string, validates the label names and looks the hash up in its series map on
 * every `inc`/`observe`, and the children `metric.labels(...)` returns do the same per call (15.x),
 * so caching them saves nothing. A handle here keeps the series' own value record after the
 * series' first event (which prom-client records itself, so the series is created exactly where it
 * would be) and adds to it as prom-client does: same arithmetic, same order, same text at scrape.
 *
 * That record is prom-client's internal state (`hashMap`, entries of `{ value }` or
 * `{ sum, count, bucketValues }`), unchanged since 11.x. Its shape is checked when a series is
 * first seen; a series whose record does not look as expected (another prom-client) is not cached
 * and keeps going through the public call. A `reset()` replaces the map, and the cache is dropped
 * when that is noticed; a series taken out with `remove()` must be dropped with `clear()` at the
 * same time (nothing here removes series today). Each cache is a deliberate per-metric cache: one
 * entry per series prom-client holds, never more than MAX_CACHED_SERIES; an endpoint that discovery
 * dropped keeps its series in prom-client, so its entry costs nothing prom-client does not already
 * hold. A series that is not cached (another prom-client) costs its hash again on every call.
 */
import type { Counter, Histogram, LabelValues } from 'prom-client';

/** Far above the series any of these metrics has (routes x methods x statuses x tiers); only a runaway label would reach it. */
const MAX_CACHED_SERIES = 4_096;

interface CounterRecord { value: number }
interface HistogramRecord { sum: number; count: number; bucketValues: Record<string, number> }
/** The part of a prom-client metric the handles read; absent or different in another version. */
interface SeriesMapHolder { hashMap?: unknown }

export interface CounterSeries {
  /** `counter.inc(labels, value)` for the labels named, in order, by `labelValues`. */
  inc(labelValues: readonly string[], value?: number): void;
  /** Forgets every cached series; call alongside `counter.remove()`. */
  clear(): void;
}

export interface HistogramSeries {
  /** `histogram.observe(labels, value)` for the labels named, in order, by `labelValues`. */
  observe(labelValues: readonly string[], value: number): void;
  /** Forgets every cached series; call alongside `histogram.remove()`. */
  clear(): void;
}

/**
 * One level of the cache per label: values already seen keep their string hash, so a lookup
 * builds no key string (joining the values cost as much as the rest of the call).
 */
interface Branch<R> {
  readonly children: Map<string, Branch<R>>;
  readonly records: Map<string, R>;
}

const createBranch = <R>(): Branch<R> => ({ children: new Map(), records: new Map() });

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

function labelsOf<T extends string>(labelNames: readonly T[], labelValues: readonly string[]): LabelValues<T> {
  const labels: Partial<Record<T, string>> = {};
  labelNames.forEach((name, index) => { labels[name] = labelValues[index]; });
  return labels;
}

/**
 * A per-metric cache of prom-client's series records, filled after prom-client itself has recorded
 * a series' first event; `look(record)` says whether a record has the shape the handles write to.
 */
function createSeriesCache<T extends string, R>(
  metric: SeriesMapHolder,
  labelNames: readonly T[],
  look: (record: unknown) => record is R,
) {
  // prom-client's series key: `name:value,` for each label, names sorted (util.js hashObject).
  const sortedNames = [...labelNames].sort();
  const last = labelNames.length - 1;
  let root = createBranch<R>();
  let size = 0;
  let seenMap = metric.hashMap;
  const clear = (): void => {
    root = createBranch();
    size = 0;
  };

  return {
    clear,
    /** The cached record of these label values, or undefined (not seen yet, or not cacheable). */
    get(labelValues: readonly string[]): R | undefined {
      if (metric.hashMap !== seenMap) {
        // reset() replaced the series map: every cached record is detached.
        clear();
        seenMap = metric.hashMap;
      }
      let branch: Branch<R> | undefined = root;
      for (let index = 0; index < last && branch !== undefined; index++) branch = branch.children.get(labelValues[index] as string);
      return branch?.records.get(labelValues[last] as string);
    },
    /** Caches the record prom-client keeps for `labels`, after it has recorded the first event. */
    remember(labelValues: readonly string[], labels: LabelValues<T>): void {
      const map = metric.hashMap;
      if (!isObject(map)) return;
      const hash = sortedNames.map((name) => `${name}:${labels[name]},`).join('');
      const record = map[hash];
      if (!isObject(record)) return;
      const recordLabels = record.labels;
      if (!isObject(recordLabels) || !look(record)) return;
      if (!labelNames.every((name) => String(recordLabels[name]) === labels[name])) return;
      if (size >= MAX_CACHED_SERIES) clear();
      let branch = root;
      for (let index = 0; index < last; index++) {
        const value = labelValues[index] as string;
        let next = branch.children.get(value);
        if (next === undefined) branch.children.set(value, next = createBranch());
        branch = next;
      }
      branch.records.set(labelValues[last] as string, record);
      size += 1;
    },
  };
}

/** Handles for `counter`'s series; `labelNames` as the counter was declared with. */
export function createCounterSeries<T extends string>(counter: Counter<T>, labelNames: readonly T[]): CounterSeries {
  const isRecord = (record: unknown): record is CounterRecord =>
    isObject(record) && typeof record.value === 'number';
  const series = createSeriesCache(counter as unknown as SeriesMapHolder, labelNames, isRecord);
  return {
    clear: series.clear,
    inc(labelValues, value = 1) {
      const record = series.get(labelValues);
      // What prom-client would refuse (NaN, Infinity, a decrease) goes to it, to throw as it does.
      if (record !== undefined && Number.isFinite(value) && value >= 0) {
        record.value += value;
        return;
      }
      const labels = labelsOf(labelNames, labelValues);
      counter.inc(labels, value);
      if (record === undefined) series.remember(labelValues, labels);
    },
  };
}

/** Handles for `histogram`'s series; `labelNames` and `buckets` as the histogram was declared with. */
export function createHistogramSeries<T extends string>(
  histogram: Histogram<T>,
  labelNames: readonly T[],
  buckets: readonly number[],
): HistogramSeries {
  // prom-client keys bucket counts by the bound as a property name.
  const bucketKeys = buckets.map(String);
  const isRecord = (record: unknown): record is HistogramRecord =>
    isObject(record) && typeof record.sum === 'number' && typeof record.count === 'number'
    && isObject(record.bucketValues) && Object.keys(record.bucketValues).length === bucketKeys.length
    && bucketKeys.every((bound) => typeof (record.bucketValues as Record<string, unknown>)[bound] === 'number');
  const series = createSeriesCache(histogram as unknown as SeriesMapHolder, labelNames, isRecord);
  return {
    clear: series.clear,
    observe(labelValues, value) {
      const record = series.get(labelValues);
      if (record !== undefined && Number.isFinite(value)) {
        record.sum += value;
        record.count += 1;
        // The first bound at or above the value; past the last only +Inf (the count) moves.
        for (let index = 0; index < buckets.length; index++) {
          if (value <= (buckets[index] as number)) {
            const bound = bucketKeys[index] as string;
            record.bucketValues[bound] = (record.bucketValues[bound] as number) + 1;
            break;
          }
        }
        return;
      }
      const labels = labelsOf(labelNames, labelValues);
      histogram.observe(labels, value);
      if (record === undefined) series.remember(labelValues, labels);
    },
  };
}
