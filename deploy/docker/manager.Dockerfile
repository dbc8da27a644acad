# syntax=docker/dockerfile:1
# weft-manager: the manager (apps/api) — API, mesh CA, controllers; migrates
# the database on start. Build from the repository root:
#   docker build -f deploy/docker/manager.Dockerfile -t ghcr.io/weft-mesh/weft-manager:0.1.0 .
# Run with DATABASE_URL, WEFT_CA_KEY (or WEFT_CA_KEY_FILE) and a volume on
# WEFT_HOME (/var/lib/weft); the root filesystem can be read-only with a tmpfs
# on /tmp (tsx keeps its compile cache there).

FROM node:20.20.2-bookworm-slim AS base
ENV NODE_ENV=production NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
WORKDIR /app

# Only package.json files and the lockfile: the dependency layers below are
# rebuilt when dependencies change, not on every source change.
FROM base AS manifests
COPY . /src
RUN find /src -type f ! -name package.json ! -name package-lock.json -delete && find /src -type d -empty -delete

# The generated Prisma client needs the prisma CLI, a dev dependency.
FROM base AS build
COPY --from=manifests /src ./
RUN npm ci --workspace @weft/db --include=dev --ignore-scripts
COPY prisma prisma
COPY packages/db packages/db
RUN npm run db:generate

# Production dependencies of the manager and its workspace packages only.
FROM base AS deps
COPY --from=manifests /src ./
RUN npm ci --workspace @weft/api --omit=dev --ignore-scripts && npm cache clean --force

FROM base AS runtime
COPY --from=deps /app ./
COPY prisma prisma
COPY packages/mesh-model packages/mesh-model
COPY packages/identity packages/identity
COPY packages/db packages/db
COPY apps/api apps/api
COPY --from=build /app/packages/db/src/generated packages/db/src/generated
RUN mkdir -p /var/lib/weft && chown 1000:1000 /var/lib/weft
ENV WEFT_API_HOST=0.0.0.0 WEFT_API_PORT=4000 WEFT_HOME=/var/lib/weft
VOLUME /var/lib/weft
EXPOSE 4000
USER 1000:1000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.WEFT_API_PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "apps/api/bin/weft-manager.js"]
