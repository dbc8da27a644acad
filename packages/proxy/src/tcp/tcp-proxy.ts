// TCP passthrough: each accepted connection is piped to one endpoint of the
// listener's backend (load-balanced, locality-aware), with a connect timeout
// that fails over to another endpoint and an idle timeout. pipe() gives
// backpressure both ways.
import { connect, type Socket } from "node:net";
import type { BackendRuntime } from "../upstream/backend-runtime.ts";
import type { EndpointView } from "../upstream/load-balancer.ts";
import { ResponseFlag, type ResponseFlagCode } from "../core/response-flags.ts";

/** How a TCP connection ended, for metrics and the access log. */
export interface TcpOutcome {
  upstreamHost: string;
  flags: ResponseFlagCode[];
  bytesReceived: number;
  bytesSent: number;
}

const MAX_CONNECT_ATTEMPTS = 3;

/** Pipes `client` to an endpoint of `backend`; `done` is called once, when both sides are closed. */
// eslint-disable-next-line max-lines-per-function -- one connection's life in one closure: the connect attempts, both idle timers and the finish-once share the client, the upstream and the outcome.
export function proxyTcp(
  client: Socket,
  backend: BackendRuntime,
  env: { random: () => number; now: () => number },
  done: (outcome: TcpOutcome) => void,
): void {
  const outcome: TcpOutcome = { upstreamHost: "-", flags: [], bytesReceived: 0, bytesSent: 0 };
  const idleMs = backend.spec.policy.idleTimeoutMs;
  const tried = new Set<string>();
  let upstream: Socket | undefined;
  let finished = false;
  let view: EndpointView | undefined;
  const finish = () => {
    if (finished) return;
    finished = true;
    if (view) view.stats.inflight--;
    outcome.bytesReceived = client.bytesRead;
    outcome.bytesSent = client.bytesWritten;
    done(outcome);
  };
  client.pause();
  client.on("error", () => upstream?.destroy());
  client.once("close", () => {
    upstream?.destroy();
    if (!upstream || upstream.destroyed) finish();
  });
  client.setTimeout(idleMs, () => {
    outcome.flags.push(ResponseFlag.StreamIdleTimeout);
    client.destroy();
    upstream?.destroy();
  });
  backend.counters.requests++;

  const attempt = (): void => {
    if (client.destroyed) return finish();
    const picked = backend.pick({ random: env.random, now: env.now(), hashKey: client.remoteAddress, tried });
    if (!picked) {
      outcome.flags.push(tried.size === 0 ? ResponseFlag.NoHealthyUpstream : ResponseFlag.UpstreamConnectFailure);
      if (tried.size === 0) backend.counters.noHealthy++;
      client.destroy();
      return;
    }
    tried.add(picked.key);
    outcome.upstreamHost = picked.key;
    const started = env.now();
    const socket = connect({ host: picked.endpoint.address, port: picked.endpoint.port });
    const timer = setTimeout(() => socket.destroy(new Error("connect timeout")), backend.spec.policy.connectTimeoutMs);
    const onConnectError = () => {
      clearTimeout(timer);
      picked.stats.failures++;
      backend.counters.connectFailures++;
      if (tried.size < MAX_CONNECT_ATTEMPTS) attempt();
      else {
        outcome.flags.push(ResponseFlag.UpstreamConnectFailure);
        client.destroy();
      }
    };
    socket.once("error", onConnectError);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.off("error", onConnectError);
      if (client.destroyed) {
        socket.destroy();
        return;
      }
      picked.stats.requests++;
      picked.stats.inflight++;
      picked.stats.observe(env.now() - started, env.now());
      view = picked;
      upstream = socket;
      socket.setTimeout(idleMs, () => {
        outcome.flags.push(ResponseFlag.StreamIdleTimeout);
        socket.destroy();
        client.destroy();
      });
      socket.on("error", () => {
        if (!client.destroyed) outcome.flags.push(ResponseFlag.UpstreamReset);
        client.destroy();
      });
      socket.once("close", () => {
        client.destroy();
        if (client.destroyed) finish();
      });
      // Half-close is passed on: an 'end' from one side ends the other's writes.
      client.pipe(socket);
      socket.pipe(client);
      client.resume();
    });
  };
  attempt();
}
