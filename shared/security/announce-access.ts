/**
 * Says once at start, never per request, whether the front door needs API keys: an open public
 * endpoint in front of paid compute should be a visible choice in the logs.
 */
import type { SecurityConfig } from '../config/security-config';
import type { Logger } from '../logger';

export function announceAccess(security: SecurityConfig, logger: Logger): void {
  if (security.keys.length === 0) {
    logger.warn('auth_disabled', {
      message: 'API_KEYS and API_KEYS_FILE are unset: every route is open to anyone who can reach it (see docs/security.md)',
      // The open mode's one guard: Host names other than these (and loopback names, IPs, HOST) get 403.
      allowedHosts: security.allowedHosts,
    });
    return;
  }
  logger.info('auth_enabled', {
    keys: security.keys.map((key) => key.name),
    protectOperatorRoutes: security.protectOperatorRoutes,
  });
}
