# syntax=docker/dockerfile:1
# The front door as a container: the Node server (functions/server/main.ts) bundled by esbuild
# and run by plain node, as the unprivileged `node` user, with no dev dependencies and no tsx.
# Build, run, registries and orchestrators: docs/deploy-container.md
#   docker build -t embed-front-door .
#   docker build --build-arg WITH_LOCAL_ENGINE=true -t embed-front-door:engine .
# test/integration/container-image.test.ts runs this file's build and start commands outside a
# container (no Docker engine there) and serves an embed through them.

# Both stages from the same image; pass your registry's copy (docs/deploy-container.md) to avoid
# anonymous Docker Hub pulls: --build-arg NODE_IMAGE=REGISTRY/node:22-slim
ARG NODE_IMAGE=node:22-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# The lockfile alone first: this layer is reused until the dependencies change. No install
# scripts: onnxruntime-node's downloads CUDA binaries from outside npm (its CPU binaries ship in
# the package), and esbuild runs from its platform package without its own.
COPY package.json package-lock.json .npmrc ./
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY functions ./functions
COPY shared ./shared
COPY tools/build ./tools/build
RUN node --import tsx tools/build/main.ts --target server
# What the runtime stage gets, gathered in out/: the bundle, and with WITH_LOCAL_ENGINE=true the
# in-process engine's native package (onnxruntime-node and onnxruntime-common, the only packages
# the bundle leaves to node_modules) with this platform's binaries only (about 290 MB -> 40 MB).
ARG WITH_LOCAL_ENGINE=false
RUN mkdir -p out/dist out/node_modules && cp -R dist/server out/dist/server \
  && if [ "$WITH_LOCAL_ENGINE" = "true" ]; then \
       cp -R node_modules/onnxruntime-node node_modules/onnxruntime-common out/node_modules/ \
       && find out/node_modules/onnxruntime-node/bin -mindepth 2 -maxdepth 2 ! -name linux -exec rm -rf {} + ; \
     fi

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080
COPY --from=build --chown=root:root /app/out/ ./
# The image's unprivileged user (uid 1000); the files above stay root's, read-only to it.
USER node
EXPOSE 8080
# Liveness only: /ping answers 200 while the process serves, whatever the backends' state
# (readiness is GET /health; a backend outage must not restart the front door). node:*-slim has
# no curl, so node asks.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/ping').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM (docker stop, Kubernetes, ECS) drains in-flight requests before the process exits.
CMD ["node", "--enable-source-maps", "dist/server/main.mjs"]
