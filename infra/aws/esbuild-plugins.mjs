// @ts-check
/**
 * esbuild plugins of serverless.yml's bundles (custom.esbuild.plugins), also used by
 * `npm run bench:worker` so the benchmark measures the bundle a deploy ships.
 *
 * onnxruntime-node stays external: it is a native addon (a .node binary and libonnxruntime.so)
 * that esbuild cannot bundle, and the embed-worker's package patterns ship its JavaScript and the
 * Linux arm64 binaries only in node_modules/ beside the bundle, where Node resolves the bare
 * `import('onnxruntime-node')`. It is marked here rather than in `external`, which would make
 * serverless-esbuild run `npm install` for it while packaging (the whole package, every platform's
 * binaries, and a network fetch). The embed and warmup handlers never reach onnxruntime-node
 * (test/unit/lambda-bundle.test.ts), so for them this changes nothing.
 */
const onnxRuntimeExternal = {
  name: 'onnxruntime-node-external',
  /** @param {{ onResolve: (options: { filter: RegExp }, callback: (args: { path: string }) => { path: string, external: boolean }) => void }} build */
  setup(build) {
    build.onResolve({ filter: /^onnxruntime-node$/ }, (args) => ({ path: args.path, external: true }));
  },
};

export default [onnxRuntimeExternal];
