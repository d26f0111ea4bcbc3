/**
 * Writing DJL-shaped responses with node:http, and reading bodies under DJL's size limit.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import {
  DJL_ERROR_TYPES,
  DJL_MESSAGES,
  FIRST_ERROR_STATUS,
  HTTP_STATUS,
  TOO_LARGE_HEADERS,
  djlErrorReply,
  type DjlReply,
} from './djl-responses';

/** DJL echoes this request header, or sets a fresh UUID, on every response it writes. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** The first value of a header that may repeat. */
export function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** DJL echoes the caller's request id, else makes one. */
export function requestIdOf(req: IncomingMessage): string {
  return firstHeader(req.headers[REQUEST_ID_HEADER]) ?? randomUUID();
}

/**
 * Collects the body like Netty's HttpObjectAggregator: `onTooLarge` as soon as the declared or the
 * received length passes `limit` (the rest is not read), else `onBody` with the whole body.
 */
export function readBody(
  req: IncomingMessage,
  limit: number,
  onBody: (body: Buffer) => void,
  onTooLarge: () => void,
): void {
  if (Number(req.headers['content-length']) > limit) {
    onTooLarge();
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  const onData = (chunk: Buffer): void => {
    size += chunk.length;
    if (size > limit) {
      req.off('data', onData);
      req.off('end', onEnd);
      onTooLarge();
      return;
    }
    chunks.push(chunk);
  };
  const onEnd = (): void => onBody(Buffer.concat(chunks, size));
  req.on('data', onData);
  req.on('end', onEnd);
}

/**
 * Writes a reply unless the client is gone; any status >= 400 gets `connection: close`, and
 * node:http then closes the socket, as DJL does. Returns false when nothing was written.
 */
export function writeReply(res: ServerResponse, requestId: string, reply: DjlReply): boolean {
  if (res.destroyed || res.writableEnded) return false;
  res.sendDate = false;
  const closes = reply.status >= FIRST_ERROR_STATUS;
  res.writeHead(reply.status, {
    ...reply.headers,
    // Netty sends a length; node:http would switch to chunked encoding after writeHead.
    'content-length': String(Buffer.byteLength(reply.body)),
    [REQUEST_ID_HEADER]: requestId,
    ...(closes ? { connection: 'close' } : {}),
  });
  res.end(reply.body);
  return true;
}

/** Netty's aggregator answers before DJL sees the request: an empty 413, then close. */
export function writeTooLarge(res: ServerResponse): void {
  res.sendDate = false;
  res.writeHead(HTTP_STATUS.payloadTooLarge, TOO_LARGE_HEADERS);
  res.end();
}

/** A request node:http cannot parse: DJL's BadRequestException "Invalid HTTP message.". */
export function writeMalformed(socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const reply = djlErrorReply(HTTP_STATUS.badRequest, DJL_ERROR_TYPES.badRequest, DJL_MESSAGES.invalidHttp);
  const headers = Object.entries({
    ...reply.headers,
    'content-length': String(Buffer.byteLength(reply.body)),
    [REQUEST_ID_HEADER]: randomUUID(),
    connection: 'close',
  }).map(([name, value]) => `${name}: ${value}\r\n`);
  socket.end(`HTTP/1.1 ${reply.status} Bad Request\r\n${headers.join('')}\r\n${reply.body}`);
}
