/**
 * DJL Serving's URL routing, as a pure function from method and URI to what to do.
 * Inference paths match `^/(ping|invocations|predictions)([/?].*)?` (InferenceRequestHandler),
 * `/models...` is the management API, and anything else is a 404 ResourceNotFoundException.
 */
import { DJL_ERROR_TYPES, DJL_MESSAGES, HTTP_STATUS, type DjlErrorType } from './djl-responses';

/** The model a simulator serves. */
export interface ServedModel {
  readonly name: string;
  readonly version: string | undefined;
}

/** What a request asks for. */
export type DjlRoute =
  | { readonly kind: 'ping' }
  | { readonly kind: 'listModels' }
  | { readonly kind: 'predict' }
  | { readonly kind: 'options' }
  | { readonly kind: 'error'; readonly status: number; readonly type: DjlErrorType; readonly message: string };

const INFERENCE_PATH = /^\/(ping|invocations|predictions)([/?].*)?$/;
const MANAGEMENT_PATH = /^\/models([/?].*)?$/;
const INVOKE_SEGMENT = 'invoke';

const NOT_FOUND: DjlRoute = {
  kind: 'error',
  status: HTTP_STATUS.notFound,
  type: DJL_ERROR_TYPES.resourceNotFound,
  message: DJL_MESSAGES.resourceNotFound,
};

const METHOD_NOT_ALLOWED: DjlRoute = {
  kind: 'error',
  status: HTTP_STATUS.methodNotAllowed,
  type: DJL_ERROR_TYPES.methodNotAllowed,
  message: DJL_MESSAGES.methodNotAllowed,
};

function modelNotFound(name: string): DjlRoute {
  return {
    kind: 'error',
    status: HTTP_STATUS.notFound,
    type: DJL_ERROR_TYPES.modelNotFound,
    message: DJL_MESSAGES.modelNotFound(name),
  };
}

/** Java's `String.split("/")`: trailing empty strings are dropped, so `/predictions/` has 2. */
function javaSplit(path: string): string[] {
  const segments = path.split('/');
  while (segments.length > 0 && segments.at(-1) === '') segments.pop();
  return segments;
}

/** ModelManager.getWorkflow: the name must match; a version, when given, must match too. */
function predictRoute(model: ServedModel, method: string, name: string, version: string | undefined): DjlRoute {
  if (name !== model.name || (version !== undefined && version !== model.version)) {
    return modelNotFound(name);
  }
  return method === 'OPTIONS' ? { kind: 'options' } : { kind: 'predict' };
}

function nonEmpty(value: string | null | undefined): string | undefined {
  return value === null || value === undefined || value === '' ? undefined : value;
}

function inferenceRoute(model: ServedModel, method: string, segments: string[], query: URLSearchParams): DjlRoute {
  switch (segments[1]) {
    case 'ping':
      return { kind: 'ping' };
    case 'invocations':
      // With one model loaded at startup, /invocations needs no model_name.
      return predictRoute(
        model,
        method,
        nonEmpty(query.get('model_name')) ?? model.name,
        nonEmpty(query.get('model_version')),
      );
    default:
      if (segments.length < 3) return NOT_FOUND;
      return predictRoute(model, method, segments[2] ?? '', nonEmpty(segments[3]));
  }
}

function managementRoute(model: ServedModel, method: string, segments: string[]): DjlRoute {
  if (segments.length < 3) return method === 'GET' ? { kind: 'listModels' } : METHOD_NOT_ALLOWED;
  const last = segments.at(-1);
  if (last === INVOKE_SEGMENT && (segments.length === 4 || segments.length === 5)) {
    if (method !== 'POST') return METHOD_NOT_ALLOWED;
    return predictRoute(model, method, segments[2] ?? '', segments.length === 5 ? segments[3] : undefined);
  }
  // Describing, scaling and unregistering models are not simulated.
  return NOT_FOUND;
}

/** Decides what DJL would do with `method` on `rawUrl` (path plus query, as received). */
export function resolveDjlRoute(model: ServedModel, method: string, rawUrl: string): DjlRoute {
  const queryStart = rawUrl.indexOf('?');
  const path = queryStart === -1 ? rawUrl : rawUrl.slice(0, queryStart);
  const query = new URLSearchParams(queryStart === -1 ? '' : rawUrl.slice(queryStart + 1));
  let segments: string[];
  try {
    segments = javaSplit(decodeURIComponent(path));
  } catch {
    return NOT_FOUND;
  }
  if (INFERENCE_PATH.test(rawUrl)) return inferenceRoute(model, method, segments, query);
  if (MANAGEMENT_PATH.test(rawUrl)) return managementRoute(model, method, segments);
  return NOT_FOUND;
}
