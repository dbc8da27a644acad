import { NextResponse, type NextRequest } from "next/server";
import { apiOrigin, parseEnv } from "./env.ts";
import { contentSecurityPolicy, newNonce, SECURITY_HEADERS } from "./security-headers.ts";

// Read when the server starts, not at build time: `rewrites()` in next.config
// would bake the API address into the build output, so `next start` could not
// be pointed at another manager by WEFT_API_HOST / WEFT_API_PORT.
const api = apiOrigin(parseEnv());

/** Paths forwarded to the manager (tRPC, health, OIDC redirects), so the browser talks to one origin and its cookies. */
const FORWARDED = /^\/(trpc\/|healthz$|auth\/oidc\/)/;

/**
 * Forwards the manager's endpoints; every page gets a Content-Security-Policy
 * with a fresh nonce (Next.js reads it from the request's CSP header and
 * stamps it on its inline scripts, which is why pages render per request).
 */
export function proxy(request: NextRequest): NextResponse {
  if (FORWARDED.test(request.nextUrl.pathname)) return NextResponse.rewrite(new URL(`${request.nextUrl.pathname}${request.nextUrl.search}`, api));
  const csp = contentSecurityPolicy(newNonce(), process.env.NODE_ENV === "development");
  const headers = new Headers(request.headers);
  headers.set("content-security-policy", csp);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("content-security-policy", csp);
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.headers.set(name, value);
  return response;
}

export const config = {
  // Everything but Next's static assets (they carry no script of their own to protect).
  matcher: ["/trpc/:path*", "/healthz", "/auth/oidc/:path*", "/((?!_next/static|_next/image|favicon.ico).*)"],
};
