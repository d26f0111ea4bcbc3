/** What a failed Cloud Run Admin API call means: throttled, not found, and a summary for logs. */

/** HTTP statuses and google.rpc codes (gRPC transport) that the API uses for "slow down". */
const THROTTLED_HTTP_STATUS = 429;
const GRPC_RESOURCE_EXHAUSTED = 8;
const GRPC_NOT_FOUND = 5;
const HTTP_NOT_FOUND = 404;

/** What a failed Cloud Run Admin API call means, for error messages and back-off. */
export interface CloudRunFailure {
  readonly throttled: boolean;
  readonly notFound: boolean;
  /** Short text for logs: the status and the API's message, never credentials. */
  readonly summary: string;
}

/**
 * Classifies a client error. Over gRPC the client throws a GoogleError whose `code` is a
 * google.rpc code (8 = RESOURCE_EXHAUSTED). In REST fallback, google-gax 5 with gaxios 7 lets the
 * GaxiosError through as it is: `code` and `status` are the HTTP status (429) and the Google error
 * body is only in the message (gax-nodejs#1803). Both shapes are handled here.
 */
export function describeCloudRunError(error: unknown): CloudRunFailure {
  const fields = typeof error === 'object' && error !== null ? (error as Record<string, unknown>) : {};
  const code = fields['code'];
  const status = fields['status'];
  const message = error instanceof Error ? error.message : String(error);
  const throttled =
    code === GRPC_RESOURCE_EXHAUSTED ||
    code === THROTTLED_HTTP_STATUS ||
    status === THROTTLED_HTTP_STATUS ||
    message.includes('RESOURCE_EXHAUSTED');
  const notFound = code === GRPC_NOT_FOUND || code === HTTP_NOT_FOUND || status === HTTP_NOT_FOUND;
  const label = typeof code === 'number' || typeof code === 'string' ? `code ${code}: ` : '';
  return { throttled, notFound, summary: `${label}${googleMessage(message)}` };
}

/** The `message` of a Google JSON error body when the text is one, else the text itself. */
function googleMessage(text: string): string {
  try {
    const parsed: unknown = JSON.parse(text);
    const inner = (parsed as { error?: { message?: unknown; status?: unknown } }).error;
    if (typeof inner?.message === 'string') {
      return typeof inner.status === 'string' ? `${inner.status} ${inner.message}` : inner.message;
    }
  } catch {
    // not JSON: the message is already plain text
  }
  return text;
}
