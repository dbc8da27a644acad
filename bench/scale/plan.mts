// The scale bench's sizes (env knobs) and its report arithmetic: no I/O, so
// apps/agent/test/scale-bench-plan.test.ts can check them without a manager.

export interface ScalePlan {
  clusters: number;
  services: number;
  proxies: number;
  /** Services of cluster `c` are svc-[c*servicesPerCluster, ...); the last cluster may hold fewer. */
  servicesPerCluster: number;
  proxiesPerCluster: number;
  /** Config writes timed per setup (one manager, two replicas). */
  writes: number;
  /** Services each service calls: one edge each in telemetry, and its Sidecar's egress hosts. */
  callees: number;
  /** One Sidecar per service (egress scoping, as a mesh of this size needs for its compiles). */
  sidecars: boolean;
  /** Sidecars per resources.applyDocuments call (each call plans the change against the whole mesh: fewer, larger calls are cheaper). */
  sidecarBatch: number;
  /** Which setups run: 1 = one manager, 2 = two replicas on the same database. */
  setups: (1 | 2)[];
  /** Seconds per telemetry rate step; offered reports per second start at `telemetryStartRate` and double. */
  telemetry: boolean;
  telemetryStepSeconds: number;
  telemetryStartRate: number;
  /** CPU-profile the first manager (written when it stops). */
  profile: boolean;
  /** The whole run's time budget: after the setup, writes and telemetry steps stop when it is spent (and the report says so). */
  budgetSeconds: number;
  /** Concurrent API calls while setting up. */
  setupConcurrency: number;
}

const positiveInt = (env: NodeJS.ProcessEnv, name: string, fallback: number, max: number): number => {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`${name} must be a whole number from 1 to ${max}, not "${raw}"`);
  return n;
};

const positiveNumber = (env: NodeJS.ProcessEnv, name: string, fallback: number): number => {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, not "${raw}"`);
  return n;
};

const flag = (env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean => {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (raw === "1" || raw === "true") return true;
  if (raw === "0" || raw === "false") return false;
  throw new Error(`${name} must be 1 or 0, not "${raw}"`);
};

/** Reads SCALE_* from the environment; defaults are issue 19 item 5's size (100 clusters, 10,000 services, 20,000 proxies). */
export function scalePlan(env: NodeJS.ProcessEnv = process.env): ScalePlan {
  const clusters = positiveInt(env, "SCALE_CLUSTERS", 100, 1000);
  const services = positiveInt(env, "SCALE_SERVICES", 10_000, 1_000_000);
  const proxies = positiveInt(env, "SCALE_PROXIES", 20_000, 2_000_000);
  if (services < clusters) throw new Error(`SCALE_SERVICES (${services}) must be at least SCALE_CLUSTERS (${clusters}): every cluster runs a service`);
  if (proxies < services) throw new Error(`SCALE_PROXIES (${proxies}) must be at least SCALE_SERVICES (${services}): every service has a proxy`);
  const servicesPerCluster = Math.ceil(services / clusters);
  if (servicesPerCluster > 5_000) throw new Error(`SCALE_SERVICES / SCALE_CLUSTERS must be at most 5000 (one discovery report per cluster), not ${servicesPerCluster}`);
  if ((clusters - 1) * servicesPerCluster >= services) throw new Error(`SCALE_SERVICES (${services}) leaves the last cluster without services at ${servicesPerCluster} per cluster: pick a multiple of SCALE_CLUSTERS`);
  const setupsRaw = env.SCALE_SETUPS ?? "1,2";
  const setups = setupsRaw.split(",").map((s) => s.trim());
  if (setups.length === 0 || setups.some((s) => s !== "1" && s !== "2")) throw new Error(`SCALE_SETUPS must be "1", "2" or "1,2", not "${setupsRaw}"`);
  const callees = positiveInt(env, "SCALE_CALLEES", 5, 100);
  if (callees >= services) throw new Error(`SCALE_CALLEES (${callees}) must be below SCALE_SERVICES (${services})`);
  return {
    clusters,
    services,
    proxies,
    servicesPerCluster,
    proxiesPerCluster: Math.ceil(proxies / clusters),
    writes: positiveInt(env, "SCALE_WRITES", 10, 1000),
    callees,
    sidecars: flag(env, "SCALE_SIDECARS", false),
    sidecarBatch: positiveInt(env, "SCALE_SIDECAR_BATCH", 10_000, 1_000_000),
    setups: [...new Set(setups.map((s) => Number(s) as 1 | 2))].sort(),
    telemetry: flag(env, "SCALE_TELEMETRY", true),
    telemetryStepSeconds: positiveNumber(env, "SCALE_TELEMETRY_STEP_SECONDS", 12),
    telemetryStartRate: positiveNumber(env, "SCALE_TELEMETRY_START_RATE", 0.25),
    profile: flag(env, "SCALE_PROFILE", true),
    budgetSeconds: positiveInt(env, "SCALE_BUDGET_SECONDS", 540, 86_400),
    setupConcurrency: positiveInt(env, "SCALE_SETUP_CONCURRENCY", 4, 64),
  };
}

/** The services cluster `c` runs (global numbers), as the bench names them svc-<n>. */
export function clusterServices(plan: ScalePlan, c: number): number[] {
  const first = c * plan.servicesPerCluster;
  return Array.from({ length: Math.max(0, Math.min(plan.servicesPerCluster, plan.services - first)) }, (_, i) => first + i);
}

/** The cluster that runs service `n`. */
export const clusterOf = (plan: ScalePlan, n: number): number => Math.floor(n / plan.servicesPerCluster);

/** The services service `n` calls: the next `callees` by number, wrapping (so some calls cross clusters). */
export function calleesOf(plan: ScalePlan, n: number): number[] {
  return Array.from({ length: plan.callees }, (_, k) => (n + 1 + k) % plan.services);
}

/** Nearest-rank percentile (p in 0..1) of unsorted samples; NaN without samples. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
}

/** One telemetry rate step as measured: offered and completed edge rows per second, report latencies. */
export interface TelemetryStep {
  offeredReportsPerSecond: number;
  edgesPerReport: number;
  sent: number;
  completed: number;
  failed: number;
  seconds: number;
  latenciesMs: number[];
  /** Reports due while their agent still waited for its previous one (not sent, as a real agent would buffer). */
  skipped: number;
  /** Reports unanswered after the step's grace. */
  backlog: number;
}

/** The agent's default telemetry interval: a report answered later than this leaves a real agent behind its own next report. */
export const TELEMETRY_INTERVAL_MS = 10_000;

/**
 * Whether the manager kept up with a step: no report failed, no agent still
 * waiting for its previous report when its next was due, every report
 * answered within the grace after the step, and p99 report latency within
 * the agent's telemetry interval.
 */
export function keptUp(step: TelemetryStep): boolean {
  return step.failed === 0 && step.skipped === 0 && step.backlog === 0 && step.completed === step.sent && percentile(step.latenciesMs, 0.99) <= TELEMETRY_INTERVAL_MS;
}

/** Edge deltas per second the manager answered in a step: the offered rate scaled by the share of due reports answered. */
export function answeredEdgeRate(step: TelemetryStep): number {
  const due = step.sent + step.skipped;
  return due === 0 ? 0 : step.offeredReportsPerSecond * step.edgesPerReport * (step.completed / due);
}

/** The highest step the manager kept up with (edge rows per second), or null when it kept up with none. */
export function sustainedEdgeRate(steps: readonly TelemetryStep[]): number | null {
  let best: number | null = null;
  for (const s of steps) {
    if (!keptUp(s)) break;
    best = answeredEdgeRate(s);
  }
  return best;
}
