/**
 * Calling a private Cloud Run service: Cloud Run's IAM check wants a Google-signed ID token whose
 * audience is the service URL, in `Authorization: Bearer`. This wraps the transport of the
 * service's endpoint so every call (embeds and /ping) carries one. google-auth-library caches
 * the token and refreshes it before it expires; the library loads lazily, only for Cloud Run
 * endpoints. Credentials come from Application Default Credentials (on Cloud Run and Cloud
 * Functions: the service account's metadata server).
 */
import { UpstreamError, UpstreamFailure } from '../upstream/upstream-error';
import type { HttpTransport } from '../upstream/transport';

/** What the transport needs from google-auth-library's IdTokenClient. */
export interface IdTokenSource {
  getRequestHeaders(url?: string): Promise<Headers | Record<string, string>>;
}

/**
 * True when calls to `serviceUrl` need an ID token: Cloud Run serves https only, so a plain-http
 * URL is an emulator, a test server or a proxy that does its own auth, and gets none (a token
 * must not travel in clear text either).
 */
export const needsIdToken = (serviceUrl: string): boolean => serviceUrl.startsWith('https://');

/** Loads google-auth-library and builds an ID-token client for `audience` (the service URL). */
export async function loadIdTokenSource(audience: string): Promise<IdTokenSource> {
  const { GoogleAuth } = await import('google-auth-library');
  return new GoogleAuth().getIdTokenClient(audience);
}

/** `transport`, with a Bearer ID token for `audience` on every request. */
export function withIdToken(transport: HttpTransport, audience: string, load: (audience: string) => Promise<IdTokenSource> = loadIdTokenSource): HttpTransport {
  let source: Promise<IdTokenSource> | undefined;
  async function authorization(): Promise<string> {
    // A failed load is retried by the next call, not cached.
    source ??= load(audience).catch((error: unknown) => {
      source = undefined;
      throw error;
    });
    const headers = await (await source).getRequestHeaders(audience);
    const value = headers instanceof Headers ? headers.get('authorization') : headers['Authorization'] ?? headers['authorization'];
    if (typeof value !== 'string' || value === '') throw new Error('the ID token client returned no Authorization header');
    return value;
  }
  return {
    async request(request) {
      let value: string;
      try {
        value = await authorization();
      } catch (error) {
        // Nothing reached the service: like a failed connection, retried elsewhere and counted.
        throw new UpstreamError(UpstreamFailure.connect,
          `could not get an ID token for the Cloud Run service (check the front door's credentials): ${error instanceof Error ? error.message : String(error)}`,
          { cause: error });
      }
      return transport.request({ ...request, headers: { ...request.headers, authorization: value } });
    },
    close: () => transport.close(),
  };
}
