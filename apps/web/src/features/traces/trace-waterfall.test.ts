// The waterfall rendered on the server with the trace already in the query
// cache: what a user sees of a trace with a failed hop and an orphan span.
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpLink } from "@trpc/client";
import { createTRPCOptionsProxy } from "@trpc/tanstack-react-query";
import type { AppRouter } from "@weft/api";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import superjson from "superjson";
import { describe, expect, it } from "vitest";
import { TRPCProvider } from "../../trpc/context.ts";
import { TraceWaterfall } from "./trace-waterfall.tsx";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const t0 = Date.UTC(2026, 0, 1, 12);
const span = (spanId: string, parentSpanId: string | null, start: number, durationMs: number, service: string, statusCode: number) => ({
  spanId,
  parentSpanId,
  cluster: "east",
  namespace: "shop",
  service,
  version: "v1",
  kind: "SERVER" as const,
  name: `GET ${service}`,
  startTime: new Date(t0 + start),
  durationMs,
  statusCode,
  responseFlags: statusCode >= 500 ? "UF" : "",
  peerService: "",
  attributes: { "url.path": "/buy" },
  error: statusCode >= 500,
});

function render(spans: ReturnType<typeof span>[]): string {
  const queryClient = new QueryClient();
  // Never called: the cache already holds the trace.
  const trpcClient = createTRPCClient<AppRouter>({ links: [httpLink({ url: "http://127.0.0.1:1/trpc", transformer: superjson })] });
  const trpc = createTRPCOptionsProxy<AppRouter>({ client: trpcClient, queryClient });
  queryClient.setQueryData(trpc.telemetry.trace.queryKey({ traceId: TRACE }), { traceId: TRACE, spans });
  return renderToStaticMarkup(
    createElement(QueryClientProvider, { client: queryClient }, createElement(TRPCProvider, { trpcClient, queryClient, children: createElement(TraceWaterfall, { traceId: TRACE, onClose: () => {} }) })),
  );
}

describe("the trace waterfall", () => {
  it("draws every span as a keyboard-reachable row, nested, with durations and failures", () => {
    const html = render([span("a000000000000001", null, 0, 40, "frontend", 200), span("a000000000000002", "a000000000000001", 4, 30, "checkout", 503), span("a000000000000003", "ffffffffffffffff", 10, 0.4, "ledger", 200)]);
    const rows = [...html.matchAll(/<li data-testid="waterfall-row" data-depth="(\d+)"( data-error="true")?>/g)].map((m) => [Number(m[1]), Boolean(m[2])]);
    expect(rows).toEqual([
      [0, false],
      [1, true],
      [0, false],
    ]);
    expect(html).toContain('aria-label="GET checkout in shop/checkout (server), starts at +4 ms, takes 30 ms, status 503, failed"');
    expect(html).toContain("parent span not recorded");
    expect(html).toContain("400 µs");
    // Bars on the shared axis: checkout starts a tenth in and spans three quarters.
    expect(html).toContain("left:10%;width:75%");
    expect((html.match(/<button type="button" data-row="true"/g) ?? []).length).toBe(3);
  });

  it("says so when the trace has no spans", () => {
    expect(render([])).toContain("This trace has no recorded spans");
  });
});
