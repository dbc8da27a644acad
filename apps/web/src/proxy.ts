import { NextResponse, type NextRequest } from "next/server";
import { apiOrigin, parseEnv } from "./env.ts";

// Read when the server starts, not at build time: `rewrites()` in next.config
// would bake the API address into the build output, so `next start` could not
// be pointed at another manager by WEFT_API_HOST / WEFT_API_PORT.
const api = apiOrigin(parseEnv());

/** Forwards the manager's endpoints (tRPC, health, OIDC redirects) so the browser talks to one origin and its cookies. */
export function proxy(request: NextRequest): NextResponse {
  return NextResponse.rewrite(new URL(`${request.nextUrl.pathname}${request.nextUrl.search}`, api));
}

export const config = {
  matcher: ["/trpc/:path*", "/healthz", "/auth/oidc/:path*"],
};
