# syntax=docker/dockerfile:1
# weft-dashboard: the dashboard (apps/web, Next.js). It forwards /trpc and
# /healthz to the manager at WEFT_API_HOST:WEFT_API_PORT, read at start.
# Build from the repository root:
#   docker build -f deploy/docker/dashboard.Dockerfile -t ghcr.io/weft-mesh/weft-dashboard:0.1.0 .
# The root filesystem can be read-only with a tmpfs on /tmp and on
# /app/apps/web/.next/cache.

FROM node:20.20.2-bookworm-slim AS base
ENV NODE_ENV=production NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false NEXT_TELEMETRY_DISABLED=1
WORKDIR /app

FROM base AS manifests
COPY . /src
RUN find /src -type f ! -name package.json ! -name package-lock.json -delete && find /src -type d -empty -delete

# next build type-checks the dashboard, whose API types come from apps/api
# (and, through it, the generated Prisma client): it needs the whole
# workspace and its dev dependencies. None of it reaches the runtime stage.
FROM base AS build
COPY --from=manifests /src ./
RUN npm ci --include=dev --ignore-scripts
COPY . .
RUN npm run db:generate && npm run build --workspace @weft/web

FROM base AS deps
COPY --from=manifests /src ./
RUN npm ci --workspace @weft/web --omit=dev --ignore-scripts && npm cache clean --force

FROM base AS runtime
COPY --from=deps /app ./
COPY packages/mesh-model packages/mesh-model
COPY apps/web/next.config.ts apps/web/
COPY --from=build /app/apps/web/.next apps/web/.next
RUN rm -rf apps/web/.next/cache && mkdir -p apps/web/.next/cache && chown 1000:1000 apps/web/.next/cache
ENV WEFT_API_HOST=manager WEFT_API_PORT=4000 PORT=3000
EXPOSE 3000
USER 1000:1000
WORKDIR /app/apps/web
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/').then((r) => process.exit(r.status < 500 ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/node_modules/next/dist/bin/next", "start", "--hostname", "0.0.0.0"]
