/**
 * What `npm run demo` prints once it listens: where, its simulators, and curl lines for each
 * dialect that run as printed. With API keys on, the lines send the key from $EMBED_API_KEY: the
 * front door keeps only SHA-256 digests, so it cannot print the key itself.
 */

/** The shell variable the printed curl lines read the API key from. */
export const API_KEY_VARIABLE = 'EMBED_API_KEY';

export interface DemoBannerOptions {
  /** The front door's URL. */
  readonly url: string;
  /** What each simulator serves predictions at (what CPU_BACKENDS would hold). */
  readonly simulatorUrls: readonly string[];
  /** The model's short name (`all-MiniLM-L6-v2`), which every dialect's route accepts. */
  readonly model: string;
  /** True when API_KEYS (or API_KEYS_FILE) is set: the embed routes need a key. */
  readonly keysConfigured: boolean;
  /** With keys on, whether /info needs one too, an operator's (PROTECT_OPERATOR_ROUTES). */
  readonly protectOperatorRoutes: boolean;
}

const JSON_TYPE = "-H 'content-type: application/json'";

/** The demo's banner text, ending in a newline. */
export function demoBanner(options: DemoBannerOptions): string {
  const { url, model, keysConfigured } = options;
  // Double quotes, so the shell expands the variable; the bodies stay in single quotes.
  const auth = `-H "Authorization: Bearer $${API_KEY_VARIABLE}" `;
  const key = keysConfigured ? auth : '';
  const infoKey = keysConfigured && options.protectOperatorRoutes ? auth : '';
  const access = keysConfigured
    ? [
      'API keys are on: the front door keeps only their SHA-256 digests, so the lines',
      `below read your key from $${API_KEY_VARIABLE}. Set it first: export ${API_KEY_VARIABLE}=<your key>`,
      ...(options.protectOperatorRoutes ? ['(/info needs an operator key, one whose API_KEYS entry ends in :role=operator.)'] : []),
    ]
    : ['API keys are off (API_KEYS unset): every route is open to whoever can reach this address.'];
  const lines = [
    `embed-front-door demo: ${url}, in front of ${options.simulatorUrls.length} simulated DJL CPU instances`,
    '(deterministic stand-in vectors; set CPU_BACKENDS and run `npm start` for real backends)',
    '',
    'Simulated DJL Serving instances:',
    ...options.simulatorUrls.map((simulator) => `  ${simulator}`),
    '',
    ...access,
    '',
    '  # OpenAI',
    `  curl -s ${url}/v1/embeddings ${key}${JSON_TYPE} -d '{"input": ["hello", "world"], "model": "${model}"}'`,
    '  # TEI',
    `  curl -s ${url}/embed ${key}${JSON_TYPE} -d '{"inputs": "hello"}'`,
    '  # DJL Serving',
    `  curl -s ${url}/predictions/${encodeURIComponent(model)} ${key}-H 'content-type: text/plain' -d 'hello'`,
    '  # readiness per tier, and what is served',
    `  curl -s ${url}/health`,
    `  curl -s ${url}/info${infoKey === '' ? '' : ` ${infoKey.trimEnd()}`}`,
    '',
    'Ctrl-C stops it.',
  ];
  return `\n${lines.join('\n')}\n`;
}
