// What the manager knows of a request and its caller, for the services that
// need it (sign-in sets cookies, authentication reads credentials). Kept low:
// context.ts and the auth feature both import it, neither imports the other.
import type { Caller } from "./access.ts";

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
