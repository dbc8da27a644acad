# syntax=docker/dockerfile:1
# weft-agent: the per-cluster agent (apps/agent) with the bundled weft-proxy
# it runs beside each instance in universal mode. Build from the repository root:
#   docker build -f deploy/docker/agent.Dockerfile -t ghcr.io/weft-mesh/weft-agent:0.1.0 .
# The `demo` target adds the demo shop application and the compose join step
# (docker-compose.yml uses it); the default target is the agent alone.
# State (credentials, intermediate key, cached config) lives in --state-dir:
# mount a volume there; the root filesystem can be read-only with a tmpfs on /tmp.

FROM node:20.20.2-bookworm-slim AS base
ENV NODE_ENV=production NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
WORKDIR /app

FROM base AS manifests
COPY . /src
RUN find /src -type f ! -name package.json ! -name package-lock.json -delete && find /src -type d -empty -delete

# The proxy bundle (esbuild, a dev dependency): half the memory of running it through tsx.
FROM base AS build
COPY --from=manifests /src ./
RUN npm ci --workspace @weft/proxy --include=dev --ignore-scripts
COPY packages/mesh-model packages/mesh-model
COPY packages/identity packages/identity
COPY packages/proxy packages/proxy
RUN npm run build --workspace @weft/proxy

FROM base AS deps
COPY --from=manifests /src ./
RUN npm ci --workspace @weft/agent --omit=dev --ignore-scripts && npm cache clean --force

FROM base AS runtime
COPY --from=deps /app ./
COPY packages/mesh-model packages/mesh-model
COPY packages/identity packages/identity
COPY packages/proxy packages/proxy
COPY apps/agent apps/agent
COPY --from=build /app/packages/proxy/dist packages/proxy/dist
RUN mkdir -p /var/lib/weft-agent && chown 1000:1000 /var/lib/weft-agent
VOLUME /var/lib/weft-agent
EXPOSE 15000
USER 1000:1000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:15000/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "apps/agent/bin/weft-agent.js", "--state-dir", "/var/lib/weft-agent", "--admin-port", "15000", "--proxy-bin", "/app/packages/proxy/dist/weft-proxy.mjs"]

# The demo shop (tooling/start/src/demo): its application processes and the
# step that creates the compose demo's clusters and their join tokens.
FROM runtime AS demo
COPY tooling/start/package.json tooling/start/
COPY tooling/start/src tooling/start/src
USER 0:0
RUN mkdir -p /var/lib/weft-join && chown 1000:1000 /var/lib/weft-join
USER 1000:1000
