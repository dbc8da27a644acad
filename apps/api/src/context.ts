import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import type { Database } from "@weft/db";
import type { AuditFacts } from "./features/audit/audit-facts.ts";
import { CSRF_HEADER } from "./features/auth/session-cookies.ts";
import type { Logger } from "./logger.ts";
import type { Authentication, RequestInfo } from "./request-info.ts";
import type { Services } from "./services.ts";

/** What every procedure can reach. */
export interface Context {
  db: Database;
  log: Logger;
  services: Services;
  requestId: string;
  startedAt: Date;
  request: RequestInfo;
  /**
   * What this mutation acted on, for its audit event: routers fill it from the
   * input (`noteAudit`) and from what services return (`audited`); services never see it.
   */
  audit: AuditFacts;
  /** The caller (memoized): null when the request carries no valid credentials. */
  authenticate(): Promise<Authentication | null>;
}

export interface ContextDeps {
  db: Database;
  log: Logger;
  services: Services;
  startedAt: Date;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Builds a context from request facts; shared by the HTTP adapter and tests. */
export function createContext(deps: ContextDeps, request: RequestInfo, requestId: string = randomUUID()): Context {
  let authentication: Promise<Authentication | null> | undefined;
  return {
    ...deps,
    requestId,
    log: deps.log.child({ requestId }),
    request,
    audit: {},
    authenticate: () => (authentication ??= deps.services.auth.authenticate(request)),
  };
}

export function createContextFactory(deps: ContextDeps) {
  return ({ req, res }: { req: IncomingMessage; res: ServerResponse }): Context => {
    const id = header(req, "x-request-id");
    const requestId = id !== undefined && /^[\w.-]{1,128}$/.test(id) ? id : randomUUID();
    const encrypted = Boolean((req.socket as TLSSocket).encrypted);
    const request: RequestInfo = {
      cookie: header(req, "cookie"),
      authorization: header(req, "authorization"),
      csrfToken: header(req, CSRF_HEADER),
      userAgent: header(req, "user-agent")?.slice(0, 256),
      ip: req.socket.remoteAddress ?? "unknown",
      secure: encrypted || header(req, "x-forwarded-proto") === "https",
      setCookie(value) {
        const existing = res.getHeader("set-cookie");
        const list = Array.isArray(existing) ? existing : typeof existing === "string" ? [existing] : [];
        res.setHeader("set-cookie", [...list, value]);
      },
    };
    return createContext(deps, request, requestId);
  };
}
