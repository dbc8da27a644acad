// Links into the dashboard from what the manager sends out (notifications,
// tickets, test messages): one place that knows how a dashboard URL is built.

/** `base` + `path` (+ `?params`): `dashboardLink("https://weft.example/", "/rollouts/detail", { namespace, name })`. */
export function dashboardLink(base: string, path: string, params: Record<string, string> = {}): string {
  const query = new URLSearchParams(params).toString();
  return `${base.replace(/\/+$/, "")}${path}${query ? `?${query}` : ""}`;
}
