/**
 * `lambda://FUNCTION[:QUALIFIER]?concurrency=N` backend entries: the embedding Lambda worker
 * (functions/embed-worker) as an endpoint of `N` batch slots, invoked through the Lambda API.
 * FUNCTION is a function name (the region is the SDK's, from AWS_REGION) or a function ARN (its
 * region is the ARN's); QUALIFIER an alias or a version.
 */

export const LAMBDA_SCHEME = 'lambda://';

export interface LambdaBackendSpec {
  readonly source: 'lambda';
  readonly dialect: 'lambda';
  /** A function name or a function ARN, without the qualifier. */
  readonly functionName: string;
  /** An alias or version (`live`, `7`, `$LATEST`), when the entry names one. */
  readonly qualifier: string | undefined;
  /** The ARN's region; undefined for a bare name (the SDK's own region then). */
  readonly region: string | undefined;
  /** Invokes the front door may have in flight at once: the endpoint's batch slots. */
  readonly concurrency: number;
  /** The entry as configured, for logs and messages (it holds no secret). */
  readonly entry: string;
}

/** Lambda's own rules for names (64 characters), aliases and versions. */
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const QUALIFIER = /^(?:\$LATEST|[0-9]+|[A-Za-z0-9_-]{1,128})$/;
const FUNCTION_ARN = /^arn:(?<partition>aws[a-z-]*):lambda:(?<region>[a-z]{2}(?:-[a-z]+)+-\d):(?<account>\d{12}):function:(?<name>[A-Za-z0-9_-]{1,64})(?::(?<qualifier>[^:]+))?$/;
/** The most invokes one entry may hold; far above any sensible reserved concurrency. */
export const MAX_LAMBDA_CONCURRENCY = 1000;

const EXAMPLE = 'expected lambda://<function name or ARN>[:<alias>]?concurrency=<N>, e.g. lambda://embed-front-door-prod-embed-worker:live?concurrency=20';

/** Parses one entry; a string is the problem, naming the entry. */
export function parseLambdaEntry(entry: string): LambdaBackendSpec | string {
  const rest = entry.slice(LAMBDA_SCHEME.length);
  const queryAt = rest.indexOf('?');
  const target = queryAt < 0 ? rest : rest.slice(0, queryAt);
  const params = new URLSearchParams(queryAt < 0 ? '' : rest.slice(queryAt + 1));
  const unknown = [...params.keys()].filter((name) => name !== 'concurrency');
  if (unknown.length > 0) return `${entry}: unknown parameter ${unknown.join(', ')}; only concurrency is read`;

  let functionName: string;
  let qualifier: string | undefined;
  let region: string | undefined;
  const arn = FUNCTION_ARN.exec(target);
  if (target.startsWith('arn:')) {
    if (arn?.groups === undefined) return `${entry}: not a Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<name>[:<alias>])`;
    functionName = target.slice(0, target.length - (arn.groups.qualifier === undefined ? 0 : arn.groups.qualifier.length + 1));
    qualifier = arn.groups.qualifier;
    region = arn.groups.region;
  } else {
    const [name = '', alias, ...extra] = target.split(':');
    if (extra.length > 0 || !FUNCTION_NAME.test(name)) {
      return `${entry}: "${target}" is not a function name (letters, digits, - and _, at most 64) with an optional :alias; ${EXAMPLE}`;
    }
    functionName = name;
    qualifier = alias;
  }
  if (qualifier !== undefined && !QUALIFIER.test(qualifier)) return `${entry}: "${qualifier}" is not an alias or version`;

  const concurrencyText = params.get('concurrency');
  if (concurrencyText === null) {
    return `${entry}: add ?concurrency=N, the invokes the front door may have in flight (at most the function's reserved concurrency); ${EXAMPLE}`;
  }
  const concurrency = Number(concurrencyText);
  if (!/^\d+$/.test(concurrencyText) || concurrency < 1 || concurrency > MAX_LAMBDA_CONCURRENCY) {
    return `${entry}: concurrency must be a whole number from 1 to ${MAX_LAMBDA_CONCURRENCY}`;
  }
  return { source: 'lambda', dialect: 'lambda', functionName, qualifier, region, concurrency, entry };
}
