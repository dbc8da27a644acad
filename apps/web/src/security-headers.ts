// The dashboard's Content-Security-Policy and companion headers, set on every
// page by src/proxy.ts. Scripts run only from this origin or with the
// per-request nonce Next.js stamps on its own inline scripts ('strict-dynamic'
// lets those load the chunks they need), so injected markup cannot run script;
// nothing may frame the dashboard (clickjacking); the browser talks to this
// origin only (the manager is forwarded through it). Styles allow inline
// attributes: React and cytoscape set them, and they cannot run code.

/** The Content-Security-Policy of a page rendered with `nonce`. Development mode adds 'unsafe-eval' (React's dev tooling needs it); production never has it. */
export function contentSecurityPolicy(nonce: string, development = false): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${development ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** Headers every page carries besides the CSP. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  // For browsers that predate frame-ancestors.
  "X-Frame-Options": "DENY",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "same-origin",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
};

/** A fresh nonce: 128 random bits, base64. */
export function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes));
}
