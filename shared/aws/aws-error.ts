/**
 * What an AWS SDK error is, without its message: AWS messages can echo request details, so logs
 * and errors name the error and the HTTP status only.
 */

/** The error's name (`ThrottlingException`), or for network failures their code (`ECONNREFUSED`). */
export function awsErrorName(error: unknown): string {
  if (!(error instanceof Error)) return 'UnknownError';
  const code = (error as { code?: unknown }).code;
  // Network failures arrive as plain Errors whose `code` says more than the name.
  return error.name === 'Error' && typeof code === 'string' ? code : error.name;
}

/** The HTTP status the SDK recorded, when AWS answered at all. */
export function awsHttpStatus(error: unknown): number | undefined {
  const status = (error as { $metadata?: { httpStatusCode?: unknown } } | undefined)?.$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/** `ThrottlingException (HTTP 400)`: the name and status, for messages. */
export function describeAwsError(error: unknown): string {
  const status = awsHttpStatus(error);
  return status === undefined ? awsErrorName(error) : `${awsErrorName(error)} (HTTP ${status})`;
}
