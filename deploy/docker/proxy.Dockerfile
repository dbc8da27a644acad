# syntax=docker/dockerfile:1
# weft-proxy: the data-plane proxy as one bundled file (the sidecar image the
# agent's webhook injects; its init container runs `node -e` in it too).
# Build from the repository root:
#   docker build -f deploy/docker/proxy.Dockerfile -t ghcr.io/weft-mesh/weft-proxy:0.1.0 .
# Runs as uid 1337 (the injected sidecar's runAsUser) on a read-only root filesystem.

FROM node:20.20.2-bookworm-slim AS base
ENV NODE_ENV=production NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
WORKDIR /app

FROM base AS manifests
COPY . /src
RUN find /src -type f ! -name package.json ! -name package-lock.json -delete && find /src -type d -empty -delete

# esbuild bundles the proxy and every dependency into dist/weft-proxy.mjs plus the
# chunks it loads lazily (dist/chunks: HTTP/2-only, Redis, OTLP, pull mode...).
FROM base AS build
COPY --from=manifests /src ./
RUN npm ci --workspace @weft/proxy --include=dev --ignore-scripts
COPY packages/mesh-model packages/mesh-model
COPY packages/identity packages/identity
COPY packages/proxy packages/proxy
RUN npm run build --workspace @weft/proxy

# No node_modules at all: the bundle is the whole program.
FROM base AS runtime
COPY --from=build /app/packages/proxy/dist/weft-proxy.mjs /app/weft-proxy.mjs
COPY --from=build /app/packages/proxy/dist/chunks /app/chunks
ENV WEFT_PROXY_ADMIN_PORT=15020
EXPOSE 15001 15006 15020
USER 1337:1337
HEALTHCHECK --interval=5s --timeout=2s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.WEFT_PROXY_ADMIN_PORT + '/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/weft-proxy.mjs"]
