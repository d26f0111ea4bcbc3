/**
 * The embed routes on Hono: each checks its body's headers and size, then runs the embed service
 * (embed-service.ts), which parses the dialect's body into texts, embeds them and prints the
 * answer; errors are mapped in one place (create-app). The Node server answers most embed
 * requests through its fast lane instead (embed-fast-lane.ts), which runs the same service.
 */
import type { Context, Hono, MiddlewareHandler } from 'hono';
import type { AppEnv } from './app-env';
import { acceptBody, BodyKind } from './accept-body';
import { limitBody as createBodyLimit } from './limit-body';
import { readBodyText } from './read-body';
import type { AnswerHeaders } from './answer-headers';
import type { EmbedAnswer, EmbedCall, EmbedService } from './embed-service';
import { addRoute } from './routes';

/** The service's view of a Hono request. */
function embedCall(c: Context<AppEnv>): EmbedCall {
  return {
    header: (name) => c.req.header(name),
    readBody: () => readBodyText(c),
    // Read when the embed starts: on Node a client-gone listener, elsewhere the web Request's signal.
    get signal() {
      return c.env?.clientSignal?.() ?? c.req.raw.signal;
    },
    requestId: c.get('requestId'),
    caller: c.get('caller'),
    answerLease: c.get('answerLease'),
    parsed: (items) => c.set('items', items),
  };
}

/** Registers the embed routes; `answerHeaders` writes their 200 answers' headers (answer-headers.ts). */
export function registerEmbedRoutes(app: Hono<AppEnv>, service: EmbedService, answerHeaders: AnswerHeaders): void {
  // Checked from Content-Length or while the body streams in, never buffering past the limit.
  const limitBody = createBodyLimit(service.bodyLimit);

  const holdAnswer: MiddlewareHandler<AppEnv> = async (c, next) => {
    const lease = service.answers.lease();
    c.set('answerLease', lease);
    try {
      await next();
    } finally {
      lease.release();
    }
  };

  const answer = (c: Context<AppEnv>, { body, result }: EmbedAnswer): Response => {
    c.set('embedResult', result);
    return answerHeaders.answer(c, body, result, performance.now());
  };

  const json = acceptBody(BodyKind.json);
  const jsonOrText = acceptBody(BodyKind.jsonOrText);
  addRoute(app, 'openaiEmbeddings', json, limitBody, holdAnswer, async (c) => answer(c, await service.openai(embedCall(c))));
  addRoute(app, 'teiEmbed', json, limitBody, holdAnswer, async (c) => answer(c, await service.tei(embedCall(c))));
  const djl = async (c: Context<AppEnv>, model: string | undefined): Promise<Response> => answer(c, await service.djl(embedCall(c), model));
  addRoute(app, 'djlPredictions', jsonOrText, limitBody, holdAnswer, (c) => djl(c, c.req.param('model')));
  addRoute(app, 'djlPredictionsVersion', jsonOrText, limitBody, holdAnswer, (c) => djl(c, c.req.param('model')));
  addRoute(app, 'djlInvoke', jsonOrText, limitBody, holdAnswer, (c) => djl(c, c.req.param('model')));
  addRoute(app, 'djlInvocations', jsonOrText, limitBody, holdAnswer, (c) => djl(c, c.req.query('model_name')));
}
