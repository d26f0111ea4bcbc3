/**
 * How to start the engine worker thread. Built code starts `engine-worker.js` directly. From
 * TypeScript sources (npm start and the tests run through tsx), Node 20 does not carry tsx's
 * module hooks into worker threads, so the worker starts from a one-line bootstrap that loads the
 * entry through tsx's own API.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface WorkerScript {
  /** A module URL, or source code when `eval` is set. */
  readonly source: URL | string;
  readonly eval: boolean;
}

/** The engine worker's entry, next to this module: `.js` when built, `.ts` from sources. */
export function engineWorkerScript(): WorkerScript {
  const extension = extname(fileURLToPath(import.meta.url));
  const entry = new URL(`./engine-worker${extension}`, import.meta.url);
  if (extension !== '.ts') return { source: entry, eval: false };
  const tsxApi = import.meta.resolve('tsx/esm/api');
  return {
    source: `import(${JSON.stringify(tsxApi)}).then((api) => api.tsImport(${JSON.stringify(entry.href)}, ${JSON.stringify(import.meta.url)}));`,
    eval: true,
  };
}
