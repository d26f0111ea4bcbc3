/**
 * Which model names the front door answers to. DJL names a model after the last segment of its
 * URL with every non-word character turned into `_` (`all-MiniLM-L6-v2` -> `all_MiniLM_L6_v2`),
 * so names are compared in that normal form: both spellings, and configured aliases, match.
 */
import type { Config } from '../config/config';

/** DJL's naming rule. */
export const toDjlName = (name: string): string => name.replace(/\W/g, '_');

export interface ModelNames {
  /** The public model id, e.g. `sentence-transformers/all-MiniLM-L6-v2`. */
  readonly id: string;
  /** The name as DJL would register it, e.g. `all_MiniLM_L6_v2`. */
  readonly djlName: string;
  /** Every accepted name, as configured (for /info and error messages). */
  readonly accepted: readonly string[];
  accepts(name: string): boolean;
}

export function createModelNames(config: Config): ModelNames {
  const id = config.model.id;
  const shortName = id.slice(id.lastIndexOf('/') + 1);
  const backendNames = [...config.tiers.cpu, ...config.tiers.gpu].flatMap((spec) => (spec.source === 'static' ? spec.modelName ?? [] : []));
  const accepted = [...new Set([id, shortName, toDjlName(shortName), ...config.model.aliases, ...backendNames])];
  const normalised = new Set(accepted.map(toDjlName));
  return {
    id,
    djlName: toDjlName(shortName),
    accepted,
    accepts: (name) => normalised.has(toDjlName(name)),
  };
}
