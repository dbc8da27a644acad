import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import type { RequestInfo } from "../../request-info.ts";
import { DomainError } from "../../errors.ts";
import type { Logger } from "../../logger.ts";
import { OIDC_STATE_COOKIE, type OidcService } from "./oidc.service.ts";
import { readCookie } from "./session-cookies.ts";

export const OIDC_LOGIN_PATH = "/auth/oidc/login";
export const OIDC_CALLBACK_PATH = "/auth/oidc/callback";

function requestInfo(req: IncomingMessage, res: ServerResponse): RequestInfo {
  const cookies: string[] = [];
  return {
    cookie: req.headers.cookie,
    userAgent: req.headers["user-agent"]?.slice(0, 256),
    ip: req.socket.remoteAddress ?? "unknown",
    secure: Boolean((req.socket as TLSSocket).encrypted) || req.headers["x-forwarded-proto"] === "https",
    setCookie: (value) => {
      cookies.push(value);
      res.setHeader("set-cookie", cookies);
    },
  };
}

function answer(res: ServerResponse, status: number, text: string, location?: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...(location ? { location } : {}) });
  res.end(text);
}

/** The browser redirects of the OIDC sign-in; true when the request was one of them. */
export function handleOidcRequest(req: IncomingMessage, res: ServerResponse, oidc: OidcService | null, log: Logger): boolean {
  const url = new URL(req.url ?? "/", "http://manager.invalid");
  if (req.method !== "GET" || (url.pathname !== OIDC_LOGIN_PATH && url.pathname !== OIDC_CALLBACK_PATH)) return false;
  if (!oidc) {
    answer(res, 404, "OIDC sign-in is not configured (WEFT_OIDC_ISSUER)");
    return true;
  }
  const request = requestInfo(req, res);
  const work =
    url.pathname === OIDC_LOGIN_PATH
      ? oidc.start(url.searchParams.get("returnTo") ?? "/", request).then((to) => answer(res, 302, "", to.href))
      : oidc.finish(url, readCookie(req.headers.cookie, OIDC_STATE_COOKIE), request).then((to) => answer(res, 302, "", to));
  work.catch((err: unknown) => {
    if (err instanceof DomainError) answer(res, 400, err.message);
    else {
      log.error({ err }, "OIDC sign-in failed");
      answer(res, 500, "OIDC sign-in failed");
    }
  });
  return true;
}
