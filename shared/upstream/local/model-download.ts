/**
 * Downloads a pinned model (model-manifest.ts) into a directory with Node's fetch: each file is
 * streamed to a temporary name while its SHA-256 is computed, checked against the pin, and only
 * then renamed into place, so a directory never holds a partial or altered file and two processes
 * downloading at once cannot corrupt each other. Files already present with the pinned checksum
 * are kept.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type DownloadProgress, silentProgress } from './download-progress';
import { LocalModelError, LocalModelErrorCode } from './local-model-error';
import { type ManifestFile, type ModelManifest, manifestFileUrl, totalBytes } from './model-manifest';

export interface DownloadOptions {
  /** The hub, e.g. https://huggingface.co (EMBED_MODEL_BASE_URL). */
  readonly baseUrl: string;
  readonly manifest: ModelManifest;
  readonly targetDir: string;
  readonly progress?: DownloadProgress;
  /** Injectable for tests; Node's global fetch otherwise. */
  readonly fetch?: typeof fetch;
  /** Abort a transfer that receives nothing for this long. */
  readonly idleTimeoutMs?: number;
}

// Long enough for a slow mirror's first byte, short enough that a dead connection is reported.
const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

/**
 * Why a fetch failed, short: the first error `code` along the cause chain (fetch wraps socket
 * errors in a TypeError "fetch failed"), else the innermost message.
 */
function networkReason(error: unknown): string {
  let message = 'network error';
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    message = current.message;
  }
  return message;
}

async function sha256OfFile(path: string): Promise<string | undefined> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch {
    return undefined;
  }
  return hash.digest('hex');
}

/** Streams one file to `path` through a temporary name, checking its size and SHA-256. */
async function downloadFile(url: string, file: ManifestFile, path: string, options: DownloadOptions, progress: DownloadProgress): Promise<void> {
  const origin = new URL(url).origin;
  const fetchImpl = options.fetch ?? fetch;
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const controller = new AbortController();
  let idle = setTimeout(() => controller.abort(), idleTimeoutMs);
  const temporary = `${path}.${process.pid}.part`;
  await mkdir(dirname(path), { recursive: true });
  const handle = await open(temporary, 'w');
  const hash = createHash('sha256');
  let received = 0;
  let renamed = false;
  try {
    let response: Response;
    try {
      response = await fetchImpl(url, { signal: controller.signal, redirect: 'follow' });
    } catch (error) {
      const code = controller.signal.aborted ? `no answer in ${idleTimeoutMs / 1000} s` : networkReason(error);
      throw new LocalModelError(LocalModelErrorCode.downloadFailed, `could not reach ${origin} (${code})`, { cause: error });
    }
    if (response.status !== 200 || response.body === null) {
      throw new LocalModelError(LocalModelErrorCode.downloadFailed, `${url} answered HTTP ${response.status}`);
    }
    try {
      // A web ReadableStream's async iterator is typed loosely in @types/node 20: its chunks are bytes.
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        clearTimeout(idle);
        idle = setTimeout(() => controller.abort(), idleTimeoutMs);
        hash.update(chunk);
        received += chunk.byteLength;
        await handle.write(chunk);
        progress.advance(chunk.byteLength);
      }
    } catch (error) {
      const code = controller.signal.aborted ? `nothing received for ${idleTimeoutMs / 1000} s` : networkReason(error);
      throw new LocalModelError(LocalModelErrorCode.downloadFailed, `the download of ${file.path} from ${origin} broke off (${code})`, { cause: error });
    }
    await handle.close();
    const sha256 = hash.digest('hex');
    if (received !== file.bytes || sha256 !== file.sha256) {
      throw new LocalModelError(LocalModelErrorCode.checksumMismatch,
        `${file.path} from ${origin} is not the pinned file (got ${received} bytes with SHA-256 ${sha256}, ` +
        `expected ${file.bytes} bytes with SHA-256 ${file.sha256}); it was discarded`);
    }
    await rename(temporary, path);
    renamed = true;
  } finally {
    clearTimeout(idle);
    await handle.close().catch(() => {});
    if (!renamed) await rm(temporary, { force: true });
  }
}

/**
 * Makes `targetDir` hold every file of the manifest, downloading the ones missing or different.
 * Rejects with a LocalModelError (download_failed or checksum_mismatch) naming the file and host.
 */
export async function downloadModel(options: DownloadOptions): Promise<void> {
  const progress = options.progress ?? silentProgress;
  const { manifest, targetDir } = options;
  const needed: ManifestFile[] = [];
  for (const file of manifest.files) {
    if ((await sha256OfFile(join(targetDir, file.path))) !== file.sha256) needed.push(file);
  }
  if (needed.length === 0) return;
  progress.start(`downloading ${manifest.repo} (${needed.length} file${needed.length === 1 ? '' : 's'}) from ${new URL(options.baseUrl).host}`,
    totalBytes({ ...manifest, files: needed }));
  try {
    for (const file of needed) {
      await downloadFile(manifestFileUrl(options.baseUrl, manifest, file), file, join(targetDir, file.path), options, progress);
    }
  } catch (error) {
    progress.abort();
    throw error;
  }
  progress.finish();
}
