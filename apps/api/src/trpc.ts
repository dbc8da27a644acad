import { initTRPC } from "@trpc/server";
import type { Role } from "@weft/db";
import { ValidationError } from "@weft/mesh-model";
import superjson from "superjson";
import { ZodError } from "zod";
import { assertRole, type Scope } from "./access.ts";
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
 */
export type AccessRule =
  | { kind: "public" }
  | { kind: "self" }
  | {
      kind: "role";
      role: Role;
      /** The namespaces/clusters the call acts on, read from its raw input; omitted means mesh-wide. Must not throw. */
      scopes?: (rawInput: unknown, ctx: Context) => Promise<Scope[]> | Scope[];
    };

export interface Meta {
  access?: AccessRule;
  /** `manual`: the procedure writes its own audit events (login); otherwise every mutation is audited. */
  audit?: "manual";
}

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    transformer: superjson,
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
  if (rule.kind === "public") return next();
  const auth = await ctx.authenticate();
  if (auth && type === "mutation" && auth.csrfToken !== null && !(ctx.request.csrfToken && safeEqual(ctx.request.csrfToken, auth.csrfToken)))
    throw forbidden("missing or wrong CSRF token (send the weft_csrf cookie's value in the x-weft-csrf header)");
  if (rule.kind === "self") {
    assertRole(auth?.principal ?? null, "VIEWER", []);
    return next();
  }
  const scopes = rule.scopes ? await rule.scopes(await getRawInput(), ctx) : undefined;
  assertRole(auth?.principal ?? null, rule.role, scopes);
  return next();
});

const base = t.procedure.use(convertErrors).use(auditMutations).use(enforceAccess);

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

/** The signed-in principal; only inside procedures whose access rule already required one. */
export async function principalOf(ctx: Context) {
  const auth = await ctx.authenticate();
  if (!auth) throw unauthenticated();
  return auth.principal;
}
