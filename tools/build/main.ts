/**
 * `npm run build -- [--target gcp|server] [--outdir DIR]`: the production bundles (see
 * bundles.ts). With no --target, both. `npm run gcp-build`, which Google's Node.js buildpack runs
 * before it checks package.json `main`, builds the Google Cloud one; the Dockerfile the server.
 */
import { fileURLToPath } from 'node:url';
import { exitUnlessRun, parseCommandLine, valueFlags } from '../../shared/cli/command-line';
import { BUNDLE_TARGETS, type BundleTarget, buildBundle } from './bundles';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TARGETS = Object.keys(BUNDLE_TARGETS) as BundleTarget[];

const USAGE = `Usage: npm run build -- [--target gcp|server] [--outdir DIR]

Bundles the long-lived entry points with esbuild into plain JavaScript (no tsx at run time):

  gcp      functions/gcp/index.ts   -> ${BUNDLE_TARGETS.gcp.output} (package.json "main", served by the
           Functions Framework; npm run gcp-build on Google Cloud's buildpack)
  server   functions/server/main.ts -> ${BUNDLE_TARGETS.server.output} (the container's entry: node ${BUNDLE_TARGETS.server.output})

  --target T   one of the two (default: both)
  --outdir D   where to write that target's files (default its folder under dist/; needs --target)
  --help       this text`;

const options = exitUnlessRun(parseCommandLine({ flags: valueFlags('target', 'outdir') }, process.argv.slice(2), (flags) => {
  const target = flags.choice('target', TARGETS);
  const outdir = flags.string('outdir');
  if (outdir !== undefined && !flags.has('target')) flags.problems.push('--outdir: needs --target (each target has its own folder)');
  return { targets: target === undefined ? TARGETS : [target], outdir };
}), USAGE);

for (const target of options.targets) {
  const started = performance.now();
  const result = await buildBundle(target, ROOT, options.outdir);
  const external = result.externalPackages.length > 0 ? `; from node_modules at run time: ${result.externalPackages.join(', ')}` : '';
  process.stdout.write(`${target}: ${result.entryFile} (${result.files.length} files, ${Math.round(performance.now() - started)} ms${external})\n`);
}
