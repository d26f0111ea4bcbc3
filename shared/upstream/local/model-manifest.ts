/**
 * The model `npm start` downloads when it has nothing else: sentence-transformers/all-MiniLM-L6-v2,
 * the model the DJL services run, as its ONNX export quantized to uint8 for AVX2 (23 MB, runs on
 * any x86-64 CPU of the last decade and on ARM through ONNX Runtime's generic kernels), with its
 * tokenizer. Pinned to one hub revision and to each file's SHA-256, so a download is either the
 * bytes these checksums name or an error.
 */
import { join } from 'node:path';

export interface ManifestFile {
  /** Path inside the hub repository, kept as the path inside the local model directory. */
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
}

export interface ModelManifest {
  /** `owner/name` on the hub. */
  readonly repo: string;
  /** A commit of that repository: files at a commit never change. */
  readonly revision: string;
  readonly files: readonly ManifestFile[];
}

// Checksums and sizes as the hub lists them for these LFS and git files (the same values are
// pinned by several public projects that fetch this model). The hub is unreachable from this
// project's machines, so they were not recomputed here.
export const ALL_MINILM_L6_V2: ModelManifest = {
  repo: 'sentence-transformers/all-MiniLM-L6-v2',
  revision: 'c9745ed1d9f207416be6d2e6f8de32d1f16199bf',
  files: [
    { path: 'onnx/model_quint8_avx2.onnx', sha256: 'b941bf19f1f1283680f449fa6a7336bb5600bdcd5f84d10ddc5cd72218a0fd21', bytes: 23_046_789 },
    { path: 'tokenizer.json', sha256: 'be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037', bytes: 466_247 },
    { path: 'tokenizer_config.json', sha256: 'acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b', bytes: 350 },
  ],
};

/** Where a file is downloaded from: the hub's `resolve` route at the pinned revision. */
export function manifestFileUrl(baseUrl: string, manifest: ModelManifest, file: ManifestFile): string {
  return `${baseUrl}/${manifest.repo}/resolve/${manifest.revision}/${file.path}`;
}

/** The model's page, for people fetching it by hand. */
export function manifestPageUrl(baseUrl: string, manifest: ModelManifest): string {
  return `${baseUrl}/${manifest.repo}/tree/${manifest.revision}`;
}

/** The cache subdirectory of one revision: a new pin downloads afresh instead of mixing files. */
export function manifestCacheDir(cacheDir: string, manifest: ModelManifest): string {
  return join(cacheDir, 'models', ...manifest.repo.split('/'), manifest.revision);
}

export const totalBytes = (manifest: ModelManifest): number =>
  manifest.files.reduce((sum, file) => sum + file.bytes, 0);
