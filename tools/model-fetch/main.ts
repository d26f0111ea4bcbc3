/**
 * `npm run model:fetch`: downloads the in-process engine's model (all-MiniLM-L6-v2, pinned and
 * checksummed) and nothing else, with a progress bar on a terminal. Into EMBED_MODEL_DIR when set
 * (to carry the directory to a machine without internet), else into the cache `npm start` reads.
 */
import { parseConfig } from '../../shared/config/config';
import { ConfigError } from '../../shared/config/env-reader';
import { createDownloadProgress } from '../../shared/upstream/local/download-progress';
import { isLocalModelError } from '../../shared/upstream/local/local-model-error';
import { downloadModel } from '../../shared/upstream/local/model-download';
import { ALL_MINILM_L6_V2, manifestCacheDir } from '../../shared/upstream/local/model-manifest';
import { exitUnlessRun, parseCommandLine } from '../../shared/cli/command-line';

const USAGE = `Usage: npm run model:fetch

Downloads all-MiniLM-L6-v2 for the in-process engine (pinned, checksums verified): into
EMBED_MODEL_DIR when set, else into the cache \`npm start\` reads. EMBED_MODEL_BASE_URL picks a mirror.

  --help   this text`;

async function main(): Promise<void> {
  exitUnlessRun(parseCommandLine({ flags: {} }, process.argv.slice(2), () => undefined), USAGE);
  const { local } = parseConfig(process.env);
  const targetDir = local.modelDir ?? manifestCacheDir(local.cacheDir, ALL_MINILM_L6_V2);
  await downloadModel({
    baseUrl: local.modelBaseUrl,
    manifest: ALL_MINILM_L6_V2,
    targetDir,
    progress: createDownloadProgress(process.stderr),
  });
  const next = local.modelDir === undefined
    ? '`npm start` with no backend configured finds it there.'
    : `Start with EMBED_MODEL_DIR=${targetDir} (after copying the directory, if this is not the machine that serves).`;
  process.stdout.write(`${ALL_MINILM_L6_V2.repo} is in ${targetDir}, checksums verified.\n${next}\n`);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else if (isLocalModelError(error)) {
    process.stderr.write(`The model could not be fetched: ${error.message}.\n` +
      'Check the network, or set EMBED_MODEL_BASE_URL to a Hugging Face mirror you can reach.\n');
  } else {
    process.stderr.write(`model:fetch failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  }
  process.exit(1);
});
