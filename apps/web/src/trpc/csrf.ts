/** The readable cookie the manager sets at sign-in (a double-submit CSRF token). */
export const CSRF_COOKIE = "weft_csrf";
/** The header every cookie-authenticated mutation must echo it in. */
export const CSRF_HEADER = "x-weft-csrf";

/** The value of cookie `name` in a `document.cookie` string; null when absent. */
export function readCookie(cookieString: string, name: string): string | null {
  for (const part of cookieString.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    const raw = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  }
  return null;
}

/** Headers for a mutation: the CSRF token when the browser holds one. */
export function csrfHeaders(cookieString: string): Record<string, string> {
  const token = readCookie(cookieString, CSRF_COOKIE);
  return token ? { [CSRF_HEADER]: token } : {};
}
