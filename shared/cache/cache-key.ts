/**
 * Cache keys: a SHA-256 digest of everything that decides a vector, so two texts share a key only
 * when their vectors are the same, and a key says nothing about its text. The digest covers a
 * format version, the model's identity (id, revision, dimension, the name sent upstream, the
 * in-process engine's truncation length), the scope (an API key's name, or every client) and the
 * exact text the backends would receive. Both tiers serve the same model (MODEL_ID is one per
 * front door), so the tier that embedded a text is not part of its key.
 */
import type { Config } from '../config/config';
import { CacheScope } from '../config/cache-config';

/** Bumped when the key's inputs change meaning: every old key then misses, nothing stale answers. */
export const CACHE_KEY_VERSION = 1;
/** Prefix of every key in the shared cache: the project and the key version, so an operator can find (and drop) them. */
export const SHARED_KEY_PREFIX = `efd:${CACHE_KEY_VERSION}:`;
/** Separates the digest's parts; no part can contain it (texts are well-formed Unicode, names are checked). */
const SEPARATOR = '\u0000';
/** The scope of every client under CACHE_SCOPE=global, and of clients without a key otherwise. */
const GLOBAL_SCOPE = '*';
const ANONYMOUS_SCOPE = '-';

// node:crypto through getBuiltinModule: an ESM import would load it at every cold start, cache or not.
const nodeCrypto = (): typeof import('node:crypto') => process.getBuiltinModule('node:crypto');

/** What changes a vector, as one string: the model's part of every key. */
export function modelIdentity(config: Config, revision: string | undefined): string {
  return JSON.stringify([config.model.id, revision ?? '', config.model.dimension, config.model.upstreamName, config.local.maxTokens, config.limits.maxCharsPerItem]);
}

/** The part of a key that says whose entries it may answer. */
export function cacheScope(scope: CacheScope, tenant: string | undefined): string {
  if (scope === CacheScope.global) return GLOBAL_SCOPE;
  return tenant === undefined ? ANONYMOUS_SCOPE : `k:${tenant}`;
}

/** Builds the keys of texts for one model identity. */
export function createKeyMaker(identity: string): (scope: string, text: string) => string {
  // node:crypto at the first key, not when the cache is built: building it is part of a Lambda
  // environment's import, which loading node:crypto (and node:stream under it) would slow.
  let hash: typeof import('node:crypto').hash | undefined;
  const head = `${CACHE_KEY_VERSION}${SEPARATOR}${identity}${SEPARATOR}`;
  // One-shot hash() of the joined parts: the same UTF-8 bytes, so the same digests as updating a
  // Hash part by part, without a Hash object per text (bench --cpu-prof: createHash was ~2%).
  return (scope, text) => SHARED_KEY_PREFIX + (hash ??= nodeCrypto().hash)('sha256', `${head}${scope}${SEPARATOR}${text}`, 'base64url');
}
