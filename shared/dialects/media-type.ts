/**
 * Reading a request's Content-Type the way the dialects need it: the media type without its
 * parameters (`; charset=utf-8`), lower-cased. JSON is `application/json` or any `+json` type
 * (RFC 6839), so `application/vnd.api+json` is read as JSON too.
 */

/** The media type of a Content-Type header, lower-cased, parameters dropped; '' when absent. */
export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** `application/json` or a `+json` type, with or without parameters. */
export function isJsonMediaType(contentType: string | undefined): boolean {
  const type = mediaTypeOf(contentType);
  return type === 'application/json' || (type.includes('/') && type.endsWith('+json'));
}

/** `text/plain`, with or without parameters: DJL's one-text body. */
export const isTextMediaType = (contentType: string | undefined): boolean => mediaTypeOf(contentType) === 'text/plain';
