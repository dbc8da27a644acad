import { initTRPC } from "@trpc/server";
import type { Role } from "@weft/db";
import { ValidationError } from "@weft/mesh-model";
import superjson from "superjson";
import { ZodError } from "zod";
import { assertRole, isAgent, type AgentPrincipal, type Principal, type Scope } from "./access.ts";
import type { Context } from "./context.ts";
import { DomainError, forbidden, toTRPCError, unauthenticated } from "./errors.ts";
import { safeEqual } from "./features/auth/secret-tokens.ts";
import { fromValidationIssues, toFieldErrors, type FieldError } from "./field-errors.ts";

/**
 * Who may call a procedure. Every procedure declares one; a procedure
 * without one is refused at run time (and by the access test).
 * - `public`: anyone, signed in or not (login, health).
 * - `self`: any signed-in user acting on their own account (logout, own tokens).
 * - `role`: at least `role`; mesh-wide, or in every scope `scopes` reads from the input.
 * - `agent`: a cluster's agent only (its credential); users are refused. Agents are refused by every other rule.
 */
export type AccessRule =
  | { kind: "public" }
  | { kind: "self" }
  | { kind: "agent" }
  | {
      kind: "role";
      role: Role;
      /** The namespaces/clusters the call acts on, read from its raw input; omitted means mesh-wide. Must not throw. */
      scopes?: (rawInput: unknown, ctx: Context) => Promise<Scope[]> | Scope[];
    };

export interface Meta {
  access?: AccessRule;
  /**
   * `manual`: the procedure writes its own audit events (login); `refusals`:
   * only refused or failed calls are audited (agents' frequent reports);
   * otherwise every mutation is audited.
   */
  audit?: "manual" | "refusals";
}

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    transformer: superjson,
    // Subscriptions (agents' config streams) are SSE: pings keep idle streams open through proxies,
    // and clients reconnect (with their last event id) when pings stop arriving.
    sse: { ping: { enabled: true, intervalMs: 15_000 }, client: { reconnectAfterInactivityMs: 45_000 } },
    errorFormatter({ shape, error }) {
      const cause = error.cause;
      let fieldErrors: FieldError[] | null = null;
      if (cause instanceof ZodError) fieldErrors = toFieldErrors(cause);
      else if (cause instanceof ValidationError) fieldErrors = fromValidationIssues(cause.issues);
      else if (cause instanceof DomainError && cause.path) fieldErrors = [{ path: cause.path, message: cause.message, code: cause.code }];
      return {
        ...shape,
        data: {
          ...shape.data,
          // Every validation problem with the field it names, e.g. `spec.rules[0].weight`.
          fieldErrors,
          // Domain code of the error (e.g. ANALYSIS_FAILED), when there is one.
          domainCode: cause instanceof ValidationError || cause instanceof DomainError ? cause.code : null,
        },
      };
    },
  });

/** Domain errors become tRPC errors here, and only here. */
const convertErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) throw toTRPCError(result.error);
  return result;
});

/** Every mutation (and refused call to one) is written to the audit log. */
const auditMutations = t.middleware(async ({ ctx, type, path, meta, next }) => {
  const result = await next();
  if (type !== "mutation" || meta?.audit === "manual") return result;
  const auth = await ctx.authenticate().catch(() => null);
  const error = result.ok ? null : toTRPCError(result.error);
  if (error === null && meta?.audit === "refusals") return result;
  const outcome = error === null ? "SUCCESS" : error.code === "FORBIDDEN" || error.code === "UNAUTHORIZED" ? "DENIED" : "FAILURE";
  await ctx.services.audit.record({
    actor: auth?.principal ?? null,
    action: path,
    outcome,
    target: ctx.audit.target,
    namespace: ctx.audit.namespace,
    details: { ...ctx.audit.details, ...(error ? { error: error.message } : {}) },
    ip: ctx.request.ip,
  });
  return result;
});

/**
 * The access decision every procedure goes through before its input is even
 * parsed. CSRF: a mutation authenticated by the session cookie must carry the
 * session's CSRF token in `x-weft-csrf` (a double-submit token: the dashboard
 * reads it from the `weft_csrf` cookie; it is an HMAC of the session secret, so
 * a cookie planted by another site cannot match). Bearer tokens are never sent
 * by browsers on their own, so they need none.
 */
const enforceAccess = t.middleware(async ({ ctx, type, path, meta, next, getRawInput }) => {
  const rule = meta?.access;
  if (!rule) {
    ctx.log.error({ path }, "procedure declares no access rule; refused");
    throw forbidden(`procedure ${path} declares no access rule`);
  }
  // Agent credentials work on agent procedures only; checked without a database read for everything else.
  const agentBearer = /^Bearer\s+weftagent_/i.test(ctx.request.authorization ?? "");
  if (rule.kind === "agent") {
    const auth = await ctx.authenticate();
    if (!auth) throw unauthenticated("agent credentials required");
    if (!isAgent(auth.principal)) throw forbidden(`procedure ${path} is for cluster agents only`);
    return next();
  }
  if (agentBearer) throw forbidden(`agent credentials cannot call ${path}`);
  if (rule.kind === "public") return next();
  const auth = await ctx.authenticate();
  if (isAgent(auth?.principal)) throw forbidden(`agent credentials cannot call ${path}`);
  if (auth && type === "mutation" && auth.csrfToken !== null && !(ctx.request.csrfToken && safeEqual(ctx.request.csrfToken, auth.csrfToken)))
    throw forbidden("missing or wrong CSRF token (send the weft_csrf cookie's value in the x-weft-csrf header)");
  if (rule.kind === "self") {
    assertRole(userOf(auth?.principal), "VIEWER", []);
    return next();
  }
  const scopes = rule.scopes ? await rule.scopes(await getRawInput(), ctx) : undefined;
  assertRole(userOf(auth?.principal), rule.role, scopes);
  return next();
});

function userOf(caller: Principal | AgentPrincipal | undefined): Principal | null {
  return caller && !isAgent(caller) ? caller : null;
}

/**
 * After a successful mutation, the config bus re-reads the mesh's versions:
 * this replica's streams see its own writes at once, also on the embedded
 * database where NOTIFY does not reach other connections.
 */
const announceChanges = t.middleware(async ({ ctx, type, next }) => {
  const result = await next();
  if (type === "mutation" && result.ok) ctx.services.distribution.poke();
  return result;
});

const base = t.procedure.use(convertErrors).use(auditMutations).use(announceChanges).use(enforceAccess);

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Anyone may call it. */
export const publicProcedure = base.meta({ access: { kind: "public" } });
/** Any signed-in user, acting on their own account. */
export const authedProcedure = base.meta({ access: { kind: "self" } });

/** At least `role` mesh-wide. */
export function roleProcedure(role: Role) {
  return base.meta({ access: { kind: "role", role } });
}

/** At least `role` in every namespace or cluster the input acts on. */
export function scopedProcedure(role: Role, scopes: (rawInput: unknown, ctx: Context) => Promise<Scope[]> | Scope[]) {
  return base.meta({ access: { kind: "role", role, scopes } });
}

/**
 * A cluster's agent; its cluster comes from its credential. Agent procedures
 * audit only refusals and failures (they report every few seconds).
 */
export const agentProcedure = base.meta({ access: { kind: "agent" }, audit: "refusals" });

/** The signed-in user; only inside procedures whose access rule already required one. */
export async function principalOf(ctx: Context): Promise<Principal> {
  const auth = await ctx.authenticate();
  if (!auth || isAgent(auth.principal)) throw unauthenticated();
  return auth.principal;
}

/** The calling agent; only inside agent procedures. */
export async function agentOf(ctx: Context): Promise<AgentPrincipal> {
  const auth = await ctx.authenticate();
  if (!auth || !isAgent(auth.principal)) throw unauthenticated("agent credentials required");
  return auth.principal;
}
