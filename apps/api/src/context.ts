import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import type { Database } from "@weft/db";
import type { Caller } from "./access.ts";
import { CSRF_HEADER } from "./features/auth/session-cookies.ts";
import type { Logger } from "./logger.ts";
import type { Services } from "./services.ts";

/** What the procedures need of the HTTP request, so tests can supply it without a socket. */
export interface RequestInfo {
  cookie?: string;
  authorization?: string;
  /** The CSRF header a browser client sends on mutations. */
  csrfToken?: string;
  userAgent?: string;
  ip: string;
  /** Served over https (directly, or by a proxy that says so): cookies get `Secure`. */
  secure: boolean;
  setCookie(value: string): void;
}

/** The caller, once the request's session cookie or bearer token (API token or agent credential) has been checked. */
export interface Authentication {
  principal: Caller;
  /** The CSRF token a cookie-authenticated caller must echo on mutations; null for bearer tokens. */
  csrfToken: string | null;
}

/** Notes on what a mutation acted on, filled by services and written to the audit log. */
export interface AuditNote {
  target?: string;
  namespace?: string;
  details?: Record<string, unknown>;
}

/** What every procedure can reach. */
export interface Context {
  db: Database;
  log: Logger;
  services: Services;
  requestId: string;
  startedAt: Date;
  request: RequestInfo;
  audit: AuditNote;
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
