// @ts-check
/**
 * The osls plugin of this service (serverless.yml `plugins`), run when `serverless package` (and
 * so `deploy`) starts, before anything is built:
 *
 * 1. **VPC from parameters.** `--param vpcSubnetIds=subnet-a,subnet-b --param
 *    vpcSecurityGroupIds=sg-x` become `provider.vpc`, so every function gets `VpcConfig` (the
 *    framework then gives the default role AWSLambdaVPCAccessExecutionRole) and the warm-up's own
 *    role gets that policy here. Neither parameter: no VPC. One without the other: refused.
 *    osls cannot make a block appear or vanish from one `${param:}` (an empty list still yields
 *    `VpcConfig`, which Lambda reads as "detach"), hence a plugin.
 * 2. **Private backends need the VPC.** `ecs://` and `dns://` entries, and http(s) URLs naming a
 *    private IP literal or an `.internal` name, are reachable from inside the VPC only: without
 *    the VPC parameters packaging stops and says which to set.
 * 3. **embedReservedConcurrency** and **workerReservedConcurrency** (strings, as every param)
 *    become embed's and embed-worker's `reservedConcurrency` when a whole number; empty leaves
 *    the function unreserved.
 * 4. **serverless offline** gets a runtime name it knows (see offlineRuntime).
 * 5. **No open front door by accident.** On any stage but `dev`, an empty `apiKeys` stops
 *    packaging unless `--param allowPublic=true` says the open endpoint is meant.
 *
 * Plain JavaScript because osls loads plugins with `import()`, without a TypeScript loader.
 * Reads only the resolved configuration: no AWS call, so `serverless package` stays offline.
 */
import { URL } from 'node:url';

/**
 * The part of osls's `serverless` object this plugin reads and writes (resolved configuration).
 * @typedef {{ Properties: { ManagedPolicyArns?: unknown[] } }} RoleResource
 * @typedef {{
 *   service: {
 *     provider: {
 *       stage: string,
 *       runtime?: string,
 *       environment?: Record<string, string | undefined>,
 *       vpc?: { subnetIds: string[], securityGroupIds: string[] },
 *     },
 *     custom?: {
 *       network?: { subnetIds?: unknown, securityGroupIds?: unknown },
 *       guard?: { allowPublic?: unknown, embedReservedConcurrency?: unknown, workerReservedConcurrency?: unknown },
 *     },
 *     functions?: Record<string, { reservedConcurrency?: number, runtime?: string, environment?: Record<string, string | undefined> }>,
 *     resources?: { Resources?: Record<string, RoleResource> },
 *   },
 *   classes: { Error: new (message: string, code: string) => Error },
 * }} Serverless
 */

/** Stages that may deploy without API keys (a developer's own stack). */
const OPEN_STAGES = ['dev'];
const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;
const SECURITY_GROUP_ID = /^sg-[0-9a-f]{8,17}$/;
/** Discovery schemes whose endpoints are private task IPs or names in a private Cloud Map zone. */
const PRIVATE_SCHEMES = ['ecs:', 'dns:'];
const DOCS = 'docs/deploy-aws.md';
const OFFLINE_UNKNOWN_RUNTIME = 'nodejs24.x';
const OFFLINE_RUNTIME = 'nodejs22.x';

/** @param {unknown} text @returns {string[]} comma-separated items, trimmed, empty ones dropped */
function list(text) {
  return (typeof text === 'string' || typeof text === 'number' ? String(text) : '').split(',').map((item) => item.trim()).filter((item) => item !== '');
}

/**
 * Whether an IP literal is private (RFC 1918, shared address space, link-local, IPv6 ULA and
 * link-local): addresses only a function inside the VPC (or a peered network) reaches.
 * @param {string} host
 */
export function isPrivateAddress(host) {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(bare);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)
      || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254);
  }
  return bare.includes(':') && /^(f[cd][0-9a-f]{2}|fe[89ab][0-9a-f]):/.test(bare);
}

/**
 * The backend entries that only a function inside the VPC reaches, with the reason.
 * @param {string | undefined} entries CPU_BACKENDS or GPU_BACKENDS as configured
 * @returns {string[]}
 */
export function privateEntries(entries) {
  return list(entries).flatMap((entry) => {
    let uri;
    try {
      uri = new URL(entry);
    } catch {
      return []; // The app's own config check names a malformed entry at start.
    }
    if (PRIVATE_SCHEMES.includes(uri.protocol)) return [entry];
    if ((uri.protocol === 'http:' || uri.protocol === 'https:')
      && (isPrivateAddress(uri.hostname) || uri.hostname.toLowerCase().endsWith('.internal'))) return [entry];
    return [];
  });
}

export default class ServerlessDeployGuard {
  /**
   * @param {Serverless} serverless
   * @param {unknown} _options
   * @param {{ log?: { notice: (text: string) => void } }} [utils]
   */
  constructor(serverless, _options, utils = {}) {
    this.serverless = serverless;
    this.log = utils.log;
    this.hooks = {
      'before:package:initialize': () => this.check(),
      'before:offline:start': () => this.offlineRuntime(),
      'before:offline:start:init': () => this.offlineRuntime(),
    };
  }

  /**
   * serverless-offline 13 (the last line for framework v3) knows runtimes up to nodejs22.x and
   * answers "Unsupported runtime" for nodejs24.x. It runs Node handlers in its own process
   * whatever the name says, so the name only picks its runner: give it one it knows.
   */
  offlineRuntime() {
    const { provider, functions = {} } = this.serverless.service;
    if (provider.runtime === OFFLINE_UNKNOWN_RUNTIME) provider.runtime = OFFLINE_RUNTIME;
    for (const fn of Object.values(functions)) if (fn.runtime === OFFLINE_UNKNOWN_RUNTIME) fn.runtime = OFFLINE_RUNTIME;
  }

  /** @param {string} message */
  refuse(message) {
    throw new this.serverless.classes.Error(`${message} (see ${DOCS})`, 'EFD_DEPLOY_GUARD');
  }

  check() {
    const service = this.serverless.service;
    const provider = service.provider;
    const network = service.custom?.network ?? {};
    const subnetIds = list(network.subnetIds);
    const securityGroupIds = list(network.securityGroupIds);

    if (subnetIds.length > 0 || securityGroupIds.length > 0) {
      if (subnetIds.length === 0) this.refuse('vpcSecurityGroupIds is set but vpcSubnetIds is not: pass --param "vpcSubnetIds=subnet-a,subnet-b" (private subnets, two AZs)');
      if (securityGroupIds.length === 0) this.refuse('vpcSubnetIds is set but vpcSecurityGroupIds is not: pass --param "vpcSecurityGroupIds=sg-..." (the djl-ecs stack\'s FrontDoorSecurityGroupId output)');
      const badSubnets = subnetIds.filter((id) => !SUBNET_ID.test(id));
      const badGroups = securityGroupIds.filter((id) => !SECURITY_GROUP_ID.test(id));
      if (badSubnets.length > 0) this.refuse(`vpcSubnetIds: ${badSubnets.join(', ')} is not a subnet id (subnet-0123abcd...)`);
      if (badGroups.length > 0) this.refuse(`vpcSecurityGroupIds: ${badGroups.join(', ')} is not a security group id (sg-0123abcd...)`);
      provider.vpc = { subnetIds, securityGroupIds };
      // The framework adds the ENI policy to its default role only; the warm-up and the
      // embedding worker have their own.
      for (const roleName of ['WarmupRole', 'EmbedWorkerRole']) {
        const role = service.resources?.Resources?.[roleName];
        if (!role) continue;
        role.Properties.ManagedPolicyArns = [
          ...(role.Properties.ManagedPolicyArns ?? []),
          { 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole' },
        ];
      }
    } else {
      // Each function's own environment over the provider's (the warm-up may read other backends).
      const needVpc = [...new Set(Object.values(service.functions ?? {}).flatMap((fn) => {
        const environment = { ...provider.environment, ...fn.environment };
        return [...privateEntries(environment.CPU_BACKENDS), ...privateEntries(environment.GPU_BACKENDS)];
      }))];
      if (needVpc.length > 0) {
        this.refuse(`${needVpc.join(', ')} can only be reached from inside the VPC, and no VPC is configured: `
          + 'pass --param "vpcSubnetIds=subnet-a,subnet-b" --param "vpcSecurityGroupIds=sg-..." '
          + '(npm run deploy:aws passes them from the network and djl-ecs stacks)');
      }
    }

    /** @type {[string, unknown, string][]} */
    const reservations = [
      ['embedReservedConcurrency', service.custom?.guard?.embedReservedConcurrency, 'embed'],
      ['workerReservedConcurrency', service.custom?.guard?.workerReservedConcurrency, 'embed-worker'],
    ];
    for (const [param, value, name] of reservations) {
      const reserved = list(value)[0] ?? '';
      if (reserved === '') continue;
      if (!/^\d+$/.test(reserved)) this.refuse(`${param}: expected a whole number or nothing, got ${JSON.stringify(reserved)}`);
      const fn = service.functions?.[name];
      if (fn) fn.reservedConcurrency = Number(reserved);
    }

    const stage = String(provider.stage);
    const apiKeys = list(provider.environment?.API_KEYS);
    const allowPublic = list(service.custom?.guard?.allowPublic)[0] ?? 'false';
    if (!['true', 'false'].includes(allowPublic)) this.refuse(`allowPublic: expected true or false, got ${JSON.stringify(allowPublic)}`);
    if (apiKeys.length === 0 && !OPEN_STAGES.includes(stage) && allowPublic !== 'true') {
      this.refuse(`stage ${stage} would deploy a public endpoint with no API keys in front of paid compute: `
        + 'pass --param "apiKeys=<name:sha256hex>,..." (npm run key:new prints an entry), '
        + 'or --param allowPublic=true to deploy it open on purpose');
    }
  }
}
