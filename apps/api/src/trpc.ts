import { initTRPC, TRPCError } from "@trpc/server";
import { findUnstorableText, ValidationError, type UnstorableText } from "@weft/mesh-model";
import { ZodError, type z } from "zod";
import { assertRole, isAgent, type AgentPrincipal, type Principal, type Role, type Scope } from "./access.ts";
import type { Context } from "./context.ts";
import { DomainError, forbidden, redactedError, toTRPCError, unauthenticated } from "./errors.ts";
import { auditFactsOf, type AuditFacts, type Audited } from "./features/audit/audit-facts.ts";
import { safeEqual } from "./features/auth/secret-tokens.ts";
import { fromValidationIssues, toFieldErrors, type FieldError } from "./field-errors.ts";
import { wireTransformer } from "./transport/wire-transformer.ts";

/** Input refused before any schema read it: text PostgreSQL cannot store (see mesh-model common/storable-text.ts). */
export class UnstorableInputError extends Error {
  override readonly name = "UnstorableInputError";
  constructor(readonly findings: readonly UnstorableText[]) {
    const first = findings[0];
    const more = findings.length > 1 ? ` (and ${findings.length - 1} more)` : "";
    super(first ? `${first.path === "" ? "the input" : first.path} ${first.message}${more}` : "input cannot be stored");
  }
}

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
      /** The namespaces/clusters the call acts on, read from its validated input; omitted means mesh-wide. */
      scopes?: (input: unknown, ctx: Context) => Promise<Scope[]> | Scope[];
    };

export interface Meta {
  access?: AccessRule;
  /**
   * `manual`: the procedure writes its own audit events (login); `refusals`:
   * only refused or failed calls are audited (agents' frequent reports), and
   * successes whose service returned audit facts (`audited`);
   * otherwise every mutation is audited.
   */
  audit?: "manual" | "refusals";
}

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    transformer: wireTransformer,
    // Never send stack traces: they name files, versions and internals (tRPC includes them whenever NODE_ENV is not "production").
    isDev: false,
    // Subscriptions (agents' config streams) are SSE: pings keep idle streams open through proxies,
    // and clients reconnect (with their last event id) when pings stop arriving.
    sse: { ping: { enabled: true, intervalMs: 15_000 }, client: { reconnectAfterInactivityMs: 45_000 } },
    errorFormatter({ shape, error }) {
      const cause = error.cause;
      // The middleware masks unexpected errors; this is the net under errors raised outside it.
      const message = error.code === "INTERNAL_SERVER_ERROR" && !/^internal error \(request id /.test(error.message) ? "internal error" : shape.message;
      const { stack: _stack, ...data } = shape.data as typeof shape.data & { stack?: string };
      let fieldErrors: FieldError[] | null = null;
      if (cause instanceof ZodError) fieldErrors = toFieldErrors(cause);
      else if (cause instanceof ValidationError) fieldErrors = fromValidationIssues(cause.issues);
      else if (cause instanceof DomainError && cause.path) fieldErrors = [{ path: cause.path, message: cause.message, code: cause.code }];
      else if (cause instanceof UnstorableInputError) fieldErrors = cause.findings.map((f) => ({ path: f.path, message: f.message, code: f.code }));
      return {
        ...shape,
        message,
        data: {
          ...data,
          // Every validation problem with the field it names, e.g. `spec.rules[0].weight`.
          fieldErrors,
          // Domain code of the error (e.g. ANALYSIS_FAILED), when there is one.
          domainCode: cause instanceof ValidationError || cause instanceof DomainError ? cause.code : cause instanceof UnstorableInputError ? "UNSTORABLE_TEXT" : null,
        },
      };
    },
  });

/** Domain errors become tRPC errors here, and only here; anything unexpected is logged (redacted) and masked. */
const convertErrors = t.middleware(async ({ ctx, path, next }) => {
  const result = await next();
  if (result.ok) return result;
  const converted = toTRPCError(result.error, ctx.requestId);
  if (converted !== result.error && converted.code === "INTERNAL_SERVER_ERROR") ctx.log.error({ path, err: redactedError(result.error.cause ?? result.error) }, "procedure failed");
  throw converted;
});

/** Every mutation (and refused call to one) is written to the audit log. */
const auditMutations = t.middleware(async ({ ctx, type, path, meta, next }) => {
  const result = await next();
  if (type !== "mutation" || meta?.audit === "manual") return result;
  const auth = await ctx.authenticate().catch(() => null);
  const error = result.ok ? null : toTRPCError(result.error, ctx.requestId);
  if (error === null && meta?.audit === "refusals" && !reportedFacts.has(ctx.audit)) return result;
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

/** Facts objects a service returned through `audited` (a `refusals` procedure audits those successes too). */
const reportedFacts = new WeakSet<AuditFacts>();

/**
 * Facts of a mutation its input already gives (the target it names): on its
 * audit event whether the call succeeds or fails.
 */
export function noteAudit(ctx: Context, facts: AuditFacts): void {
  Object.assign(ctx.audit, facts);
}

/**
 * Awaits a service call that returns audit facts with its value: the facts go
 * to the mutation's audit event (over those noted from the input), the value
 * to the caller. When the call fails, the facts its error carries
 * (`withAuditFacts`) are recorded with the failure.
 */
export async function audited<T>(ctx: Context, call: Promise<Audited<T>>): Promise<T> {
  try {
    const { value, audit } = await call;
    Object.assign(ctx.audit, audit);
    reportedFacts.add(ctx.audit);
    return value;
  } catch (err) {
    const facts = auditFactsOf(err);
    if (facts) Object.assign(ctx.audit, facts);
    throw err;
  }
}

/**
 * The access decision every procedure goes through before its input is even
 * read: a caller is authenticated first (401 before anything else, so an
 * anonymous request costs no parsing), agents and users are kept apart, and
 * the role is checked — mesh-wide, or for scoped procedures "held somewhere";
 * the scopes themselves are checked once the input is valid ({@link enforceScopes}).
 * CSRF: a mutation authenticated by the session cookie must carry the
 * session's CSRF token in `x-weft-csrf` (a double-submit token: the dashboard
 * reads it from the `weft_csrf` cookie; it is an HMAC of the session secret, so
 * a cookie planted by another site cannot match). Bearer tokens are never sent
 * by browsers on their own, so they need none.
 */
const enforceAccess = t.middleware(async ({ ctx, type, path, meta, next }) => {
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
  if (!auth) throw unauthenticated();
  if (isAgent(auth.principal)) throw forbidden(`agent credentials cannot call ${path}`);
  if (type === "mutation" && auth.csrfToken !== null && !(ctx.request.csrfToken && safeEqual(ctx.request.csrfToken, auth.csrfToken)))
    throw forbidden("missing or wrong CSRF token (send the weft_csrf cookie's value in the x-weft-csrf header)");
  if (rule.kind === "self") {
    assertRole(auth.principal, "VIEWER", []);
    return next();
  }
  // Scoped procedures: the role must be held somewhere now; in every scope of the input once it is valid.
  assertRole(auth.principal, rule.role, rule.scopes ? [] : undefined);
  return next();
});

/**
 * Text PostgreSQL cannot store (NUL, unpaired surrogates) and absurd nesting
 * are refused once, here, for every procedure: after authentication (an
 * anonymous request costs no parsing) and before any input schema, service or
 * query sees the input. One check in the pipeline rather than one per field,
 * so a procedure added tomorrow is covered too (test/sweep.test.ts proves it
 * for every procedure of the router).
 */
const refuseUnstorableText = t.middleware(async ({ getRawInput, next }) => {
  const findings = findUnstorableText(await getRawInput());
  if (findings.length > 0) {
    const cause = new UnstorableInputError(findings);
    throw new TRPCError({ code: "BAD_REQUEST", message: cause.message, cause });
  }
  return next();
});

/**
 * For scoped procedures, after their input was validated: the role in every
 * namespace or cluster the input acts on. Scopes are read from the parsed
 * input, never the raw one, so the extraction is total and cheap.
 */
const enforceScopes = t.middleware(async ({ ctx, meta, input, next }) => {
  const rule = meta?.access;
  if (rule?.kind === "role" && rule.scopes) assertRole(await principalOf(ctx), rule.role, await rule.scopes(input, ctx));
  return next();
});

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

const base = t.procedure.use(convertErrors).use(auditMutations).use(announceChanges).use(enforceAccess).use(refuseUnstorableText);

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

/**
 * At least `role` in every namespace or cluster the input acts on: `scopes`
 * reads them from the input once `schema` has validated it. Callers without
 * the role anywhere are refused before the input is read.
 */
export function scopedProcedure<S extends z.ZodType>(role: Role, schema: S, scopes: (input: z.output<S>, ctx: Context) => Promise<Scope[]> | Scope[]) {
  return base
    .meta({ access: { kind: "role", role, scopes: scopes as (input: unknown, ctx: Context) => Promise<Scope[]> | Scope[] } })
    .input(schema)
    .use(enforceScopes);
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
