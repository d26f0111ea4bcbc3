/**
 * What an embed route reads, checked from the headers before any byte of the body: a JSON route
 * takes a JSON content type only, a DJL route JSON or plain text (as DJL Serving does), and no
 * route takes a compressed body. Refusing early means a gzip body is never embedded as its raw
 * bytes, and a browser form (`application/x-www-form-urlencoded`, `multipart/form-data`), which a
 * web page may POST without a CORS preflight, never reaches a JSON parser.
 */
import type { MiddlewareHandler } from 'hono';
import { isJsonMediaType, isTextMediaType } from '../dialects/media-type';
import { ErrorCode, FrontDoorError } from '../errors';
import type { AppEnv } from './app-env';

export const BodyKind = {
  /** `/v1/embeddings`, `/embed`: a JSON content type (`application/json`, `+json`). */
  json: 'json',
  /** The DJL routes: JSON, or `text/plain` (or no content type) for one text. */
  jsonOrText: 'json_or_text',
} as const;
export type BodyKind = (typeof BodyKind)[keyof typeof BodyKind];

const ACCEPTED_TYPES = {
  [BodyKind.json]: 'Content-Type: application/json (a charset parameter and +json types are fine)',
  [BodyKind.jsonOrText]: 'Content-Type: application/json (a JSON list or {"inputs": [...]}, +json types too) or text/plain (one text)',
} as const satisfies Record<BodyKind, string>;

const UNCOMPRESSED = {
  [BodyKind.json]: 'send uncompressed JSON, without Content-Encoding',
  [BodyKind.jsonOrText]: 'send uncompressed JSON or text, without Content-Encoding',
} as const satisfies Record<BodyKind, string>;

/** True when every coding listed is `identity` (or none is listed). */
function isIdentityEncoding(header: string | undefined): boolean {
  if (header === undefined) return true;
  return header.split(',').every((coding) => {
    const name = coding.trim().toLowerCase();
    return name === '' || name === 'identity';
  });
}

function acceptsType(kind: BodyKind, contentType: string | undefined): boolean {
  if (isJsonMediaType(contentType)) return true;
  // DJL reads a body with no content type, or text/plain, as one text.
  return kind === BodyKind.jsonOrText && (contentType === undefined || contentType.trim() === '' || isTextMediaType(contentType));
}

/** Throws the 415 for a compressed body or a content type a route of `kind` does not read. */
export function checkBodyHeaders(kind: BodyKind, header: (name: string) => string | undefined): void {
  if (!isIdentityEncoding(header('content-encoding'))) {
    // Decoding gzip would need a second bound (on the decoded size) and costs CPU per byte;
    // the clients this door serves (openai SDKs, TEI and DJL clients) send uncompressed bodies.
    throw new FrontDoorError(415, ErrorCode.unsupportedMediaType,
      `compressed request bodies (Content-Encoding) are not accepted: ${UNCOMPRESSED[kind]}`);
  }
  if (!acceptsType(kind, header('content-type'))) {
    throw new FrontDoorError(415, ErrorCode.unsupportedMediaType,
      `this route reads ${ACCEPTED_TYPES[kind]}; send the body with that Content-Type`);
  }
}

/** Refuses, with 415 in the route's dialect, a compressed body or a content type the route does not read. */
export function acceptBody(kind: BodyKind): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    checkBodyHeaders(kind, (name) => c.req.header(name));
    await next();
  };
}
