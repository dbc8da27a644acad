// HAProxy (Debian's) in front of manager replicas, as the replicas tests run it.
/** HAProxy in front of the replicas: every new connection goes to the first healthy one (so the test knows where a stream lands). */
export function haproxyConfig(port: number, replicas: { name: string; port: number }[]): string {
  return `global
  maxconn 512
defaults
  mode http
  timeout connect 2s
  timeout client 1h
  timeout server 1h
  timeout tunnel 1h
  option redispatch
  retries 3
frontend managers
  bind 127.0.0.1:${port}
  default_backend replicas
  # Which replica answered, for tests that must know (e.g. to kill the one that signed a user in).
  http-response set-header x-weft-replica %[srv_name]
backend replicas
  balance first
  option httpchk GET /healthz
  http-check expect status 200
  default-server inter 250 fall 2 rise 1
${replicas.map((r) => `  server ${r.name} 127.0.0.1:${r.port} check`).join("\n")}
`;
}
