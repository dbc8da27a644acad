import { readFile } from "node:fs/promises";
import { openDatabase, type Database } from "@weft/db";
import { durationMs } from "@weft/mesh-model";
import type { Env } from "./env.ts";
import { loadCaKey } from "./features/identity/ca-key.ts";
import { openSetting } from "./sealed-settings.ts";
import { DEFAULT_DOWNSAMPLING_SETTINGS } from "./features/metrics/rollup-downsampler.ts";
import { DEFAULT_SPAN_SETTINGS } from "./features/telemetry/spans.service.ts";
import type { Logger } from "./logger.ts";
import { parseEgressAllow } from "./transport/egress-policy.ts";
import { startManagerServer, type ManagerServer } from "./server.ts";
import { createServices, DEFAULT_SERVICE_SETTINGS, type ServiceSettings, type Services } from "./services.ts";

export interface Manager {
  db: Database;
  api: ManagerServer;
  stop(): Promise<void>;
}

/**
 * What the manager needs in the database before serving: the default mesh,
 * its root CA (when a CA key is configured), and on the very first start the
 * `admin` account. Returns the generated admin password when it created the account.
 */
export async function bootstrapManager(services: Services, options: { trustDomain: string; home: string; log: Logger; print?: (text: string) => void }): Promise<string | null> {
  await services.mesh.ensureDefault(options.trustDomain);
  await services.identity.ensureAuthority();
  return services.users.ensureFirstAdmin({ home: options.home, log: options.log, ...(options.print ? { print: options.print } : {}) });
}

/** The services' settings from the environment. */
export function settingsFromEnv(env: Env): ServiceSettings {
  const { WEFT_OIDC_ISSUER: issuer, WEFT_OIDC_CLIENT_ID: clientId, WEFT_OIDC_CLIENT_SECRET: clientSecret, WEFT_OIDC_REDIRECT_URL: redirectUrl } = env;
  return {
    auth: { ...DEFAULT_SERVICE_SETTINGS.auth, secureCookies: env.WEFT_COOKIE_SECURE },
    spans: { ...DEFAULT_SPAN_SETTINGS, retentionMs: durationMs(env.WEFT_SPAN_RETENTION) },
    downsampling: { ...DEFAULT_DOWNSAMPLING_SETTINGS, hourlyRetentionMs: env.WEFT_ROLLUP_HOURLY_RETENTION },
    ...(env.WEFT_METRICS_PROMETHEUS_URL ? { prometheus: { url: env.WEFT_METRICS_PROMETHEUS_URL } } : {}),
    slo: { tickMs: durationMs(env.WEFT_SLO_TICK) },
    rollouts: { tickMs: durationMs(env.WEFT_ROLLOUT_TICK) },
    outbound: parseEgressAllow(env.WEFT_OUTBOUND_ALLOW ?? ""),
    dashboardUrl: env.WEFT_DASHBOARD_URL,
    ...(issuer && clientId && clientSecret && redirectUrl ? { oidc: { issuer, clientId, clientSecret, redirectUrl, defaultRole: env.WEFT_OIDC_DEFAULT_ROLE } } : {}),
  };
}

/** Opens (and migrates) the database, bootstraps it, then serves the API. */
export async function startManager(env: Env, log: Logger, given: ServiceSettings = settingsFromEnv(env)): Promise<Manager> {
  // Read (or, on the embedded default, created) before the database opens: a bad key file stops the start at once.
  const caKey = given.identity ? null : await loadCaKey(env);
  const tls = env.WEFT_API_TLS_CERT_FILE && env.WEFT_API_TLS_KEY_FILE ? { cert: await readFile(env.WEFT_API_TLS_CERT_FILE), key: await readFile(env.WEFT_API_TLS_KEY_FILE) } : undefined;
  if (!given.identity) log.info({ caKey: caKey ? caKey.source : "not configured" }, caKey ? "mesh CA key loaded" : "no mesh CA key (WEFT_CA_KEY): identity calls will be refused");
  const identity = given.identity ?? { caKey: caKey?.key ?? null, rotationTickMs: durationMs(env.WEFT_ROTATION_TICK) };
  // A sealed OIDC client secret opens with the CA key, before anything starts.
  const oidc = given.oidc ? { ...given.oidc, clientSecret: openSetting("WEFT_OIDC_CLIENT_SECRET", given.oidc.clientSecret, identity.caKey) } : undefined;
  const settings: ServiceSettings = { ...given, identity, ...(oidc ? { oidc } : {}) };
  const db = await openDatabase({ databaseUrl: env.DATABASE_URL, home: env.WEFT_HOME, migrate: true, embeddedPort: env.WEFT_DB_PORT });
  log.info({ database: db.kind, migrationsApplied: db.appliedMigrations }, db.kind === "embedded" ? `embedded PostgreSQL in ${env.WEFT_HOME}` : "connected to PostgreSQL");
  let api: ManagerServer;
  try {
    const services = createServices(db, log, settings);
    await bootstrapManager(services, { trustDomain: env.WEFT_TRUST_DOMAIN, home: env.WEFT_HOME, log });
    api = await startManagerServer({ db, log, host: env.WEFT_API_HOST, port: env.WEFT_API_PORT, services, maxBodyBytes: env.WEFT_API_MAX_BODY_BYTES, ...(tls ? { tls } : {}) });
    // Leader-elected per tick (advisory locks): every replica runs the loops, one advances each controller at a time.
    services.startControllers();
  } catch (err) {
    await db.close();
    throw err;
  }
  let stopping: Promise<void> | undefined;
  return {
    db,
    api,
    stop() {
      stopping ??= (async () => {
        await api.close();
        await db.close();
      })();
      return stopping;
    },
  };
}
