/**
 * Makes a `local:` backend's model present before the server listens. Only the cache is ever
 * downloaded into: a directory the operator named is theirs, and a missing file there is reported,
 * not fetched. Every failure is a LocalModelError whose message names what is missing and the two
 * ways out (bring the files, or configure backends).
 */
import type { DownloadProgress } from './download-progress';
import { isLocalModelError, LocalModelError, LocalModelErrorCode } from './local-model-error';
import { downloadModel } from './model-download';
import { findModelFiles, type ModelFiles } from './model-files';
import { manifestPageUrl } from './model-manifest';
import { ModelOrigin, type ModelSource } from './model-source';

export interface EnsureModelOptions {
  /** The hub to download from (EMBED_MODEL_BASE_URL). */
  readonly baseUrl: string;
  /** Why the engine runs, for the first line of an error, e.g. "no backend is configured". */
  readonly purpose: string;
  readonly progress?: DownloadProgress;
  readonly fetch?: typeof fetch;
  readonly idleTimeoutMs?: number;
}

function fixes(source: ModelSource, baseUrl: string): string {
  const files = source.manifest.files.map((file) => file.path).join(', ');
  return [
    'Fix it either way:',
    '  1. Fetch the model where the internet is reachable: `EMBED_MODEL_DIR=/some/dir npm run model:fetch` ' +
      `(or download ${files} from ${manifestPageUrl(baseUrl, source.manifest)}), ` +
      'copy that directory to this machine and start with EMBED_MODEL_DIR=/path/to/that/dir.',
    '  2. Or use embedding servers you already run: set CPU_BACKENDS, e.g. ' +
      'CPU_BACKENDS=http://host:8080/predictions/all_MiniLM_L6_v2 (DJL Serving; a URL ending in /embed is TEI, ' +
      'in /v1/embeddings OpenAI-compatible). `npm run demo` shows the front door over simulated backends.',
  ].join('\n');
}

function describeDir(source: ModelSource): string {
  switch (source.origin) {
    case ModelOrigin.backendEntry:
      return `the directory of the backend entry local:${source.dir}`;
    case ModelOrigin.env:
      return `EMBED_MODEL_DIR=${source.dir}`;
    case ModelOrigin.cache:
      return `the model cache ${source.dir}`;
  }
}

/**
 * Returns the model's files, downloading the pinned model into the cache when that is where it
 * belongs and it is not there yet. Rejects with a LocalModelError meant to be printed as it is.
 */
export async function ensureModel(source: ModelSource, options: EnsureModelOptions): Promise<ModelFiles> {
  const lookup = await findModelFiles(source.dir);
  if (lookup.found) return lookup.files;
  const header = `${options.purpose}, so the front door embeds with ${source.manifest.repo} in-process`;
  if (source.origin !== ModelOrigin.cache) {
    throw new LocalModelError(LocalModelErrorCode.missing,
      `${header}, but ${describeDir(source)} lacks ${lookup.missing.join(' and ')}.\n${fixes(source, options.baseUrl)}`);
  }
  try {
    await downloadModel({
      baseUrl: options.baseUrl,
      manifest: source.manifest,
      targetDir: source.dir,
      ...(options.progress ? { progress: options.progress } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: options.idleTimeoutMs }),
    });
  } catch (error) {
    if (!isLocalModelError(error)) throw error;
    throw new LocalModelError(error.code,
      `${header}, but the model is not in ${describeDir(source)} and could not be downloaded: ${error.message}.\n${fixes(source, options.baseUrl)}`,
      { cause: error });
  }
  const downloaded = await findModelFiles(source.dir);
  if (!downloaded.found) {
    // Only if the manifest and MODEL_FILE_CANDIDATES disagree: a bug, not the operator's doing.
    throw new LocalModelError(LocalModelErrorCode.missing, `the download into ${source.dir} did not produce ${downloaded.missing.join(' and ')}`);
  }
  return downloaded.files;
}
