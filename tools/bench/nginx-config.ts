/**
 * The nginx configuration under test: the seed's Option A (least_conn, max_fails, next-upstream on
 * error/timeout/502/503, 5 s connect and 60 s read timeouts) plus the upstream keep-alive any real
 * deployment adds, wrapped in what lets nginx run in the foreground from a temporary directory.
 * Pure: paths and addresses in, text out.
 */

/** What the configuration needs to know. */
export interface NginxConfigOptions {
  /** Backends as `host:port`. */
  readonly backends: readonly string[];
  /** The port nginx listens on, on 127.0.0.1. */
  readonly port: number;
  /** The temporary prefix directory: pid file, logs and temp paths go there. */
  readonly prefix: string;
  /** nginx worker processes (see NGINX_WORKER_PROCESSES in nginx-process.ts for the choice). */
  readonly workerProcesses: number;
}

/** Idle upstream connections each worker keeps (`keepalive 64`; more open when needed). */
export const NGINX_UPSTREAM_KEEPALIVE = 64;
/**
 * Connections per worker, client and upstream sides together: 256 clients plus as many upstream
 * connections need 512 (nginx's default), so leave room.
 */
const WORKER_CONNECTIONS = 4096;

/** `host:port` of a backend URL. */
export function hostPortOf(url: string): string {
  const { hostname, port } = new URL(url);
  if (port === '') throw new RangeError(`backend URL without a port: ${url}`);
  return `${hostname}:${port}`;
}

/** The whole nginx.conf. */
export function renderNginxConfig(options: NginxConfigOptions): string {
  const { prefix } = options;
  const servers = options.backends
    .map((backend) => `    server ${backend} max_fails=3 fail_timeout=30s;`)
    .join('\n');
  return `# Written by tools/bench (the seed's Option A plus upstream keep-alive). Do not edit: regenerated per run.
daemon off;
master_process on;
worker_processes ${options.workerProcesses};
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;

events {
  worker_connections ${WORKER_CONNECTIONS};
}

http {
  # The front door writes no line per request either; an access log would only cost nginx CPU.
  access_log off;
  client_body_temp_path ${prefix}/client_body_temp;
  proxy_temp_path ${prefix}/proxy_temp;
  fastcgi_temp_path ${prefix}/fastcgi_temp;
  uwsgi_temp_path ${prefix}/uwsgi_temp;
  scgi_temp_path ${prefix}/scgi_temp;

  upstream djl_backend {
    least_conn;
${servers}
    # Added to the seed: without it every proxied request opens a new connection to DJL.
    keepalive ${NGINX_UPSTREAM_KEEPALIVE};
  }

  server {
    listen 127.0.0.1:${options.port};
    location / {
      proxy_pass http://djl_backend;
      proxy_next_upstream error timeout http_502 http_503;
      proxy_connect_timeout 5s;
      proxy_read_timeout 60s;
      # Added to the seed: upstream keep-alive needs HTTP/1.1 and no "Connection: close".
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
}
