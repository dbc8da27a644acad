import { agentRouter } from "./features/agent/agent.router.ts";
import { clustersRouter } from "./features/clusters/clusters.router.ts";
import { diagnosticsRouter } from "./features/diagnostics/diagnostics.router.ts";
import { discoveryRouter } from "./features/discovery/discovery.router.ts";
import { telemetryRouter } from "./features/telemetry/telemetry.router.ts";
import { auditRouter } from "./features/audit/audit.router.ts";
import { authorizationRouter } from "./features/authorization/authorization.router.ts";
import { authRouter } from "./features/auth/auth.router.ts";
import { changeRequestsRouter, namespacesRouter } from "./features/change-requests/change-requests.router.ts";
import { healthRouter } from "./features/health/health.router.ts";
import { identityRouter } from "./features/identity/identity.router.ts";
import { meshRouter } from "./features/mesh/mesh.router.ts";
import { channelsRouter } from "./features/notifications/notifications.router.ts";
import { rolloutsRouter } from "./features/rollouts/rollouts.router.ts";
import { sloRouter } from "./features/slo/slo.router.ts";
import { ticketsRouter } from "./features/tickets/tickets.router.ts";
import { proxiesRouter } from "./features/proxies/proxies.router.ts";
import { tapRouter } from "./features/tap/tap.router.ts";
import { resourcesRouter } from "./features/resources/resources.router.ts";
import { sidecarsRouter } from "./features/sidecars/sidecars.router.ts";
import { tokensRouter } from "./features/tokens/tokens.router.ts";
import { usersRouter } from "./features/users/users.router.ts";
import { router } from "./trpc.ts";

/** The root router only composes feature routers. */
export const appRouter = router({
  health: healthRouter,
  auth: authRouter,
  users: usersRouter,
  tokens: tokensRouter,
  audit: auditRouter,
  mesh: meshRouter,
  resources: resourcesRouter,
  authorization: authorizationRouter,
  sidecars: sidecarsRouter,
  changeRequests: changeRequestsRouter,
  namespaces: namespacesRouter,
  clusters: clustersRouter,
  diagnostics: diagnosticsRouter,
  discovery: discoveryRouter,
  agent: agentRouter,
  telemetry: telemetryRouter,
  identity: identityRouter,
  slos: sloRouter,
  rollouts: rolloutsRouter,
  tickets: ticketsRouter,
  channels: channelsRouter,
  proxies: proxiesRouter,
  tap: tapRouter,
});

export type AppRouter = typeof appRouter;
