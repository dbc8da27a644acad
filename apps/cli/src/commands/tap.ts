import type { TapEvent } from "@weft/mesh-model";
import { completeArguments } from "../completion/complete.ts";
import { outputOf, UsageError, type RegisterCommand } from "../context.ts";
import { toPlain } from "../output/render.ts";

const POLL_MS = 250;

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });
}

/** A tapped request as tap.events returns it: the agent's relayed summary, where it was seen. */
type Shown = TapEvent & { id: bigint; cluster: string };

/** One line per request, as linkerd viz tap users read them. */
export function formatTapEvent(e: Shown): string {
  const dst = `${e.destinationService}${e.destinationVersion && e.destinationVersion !== "unknown" ? `@${e.destinationVersion}` : ""}`;
  const src = e.sourceService === "unknown" ? e.sourceIdentity : e.sourceService;
  return `${e.time.slice(11, 23)}  ${e.direction === "inbound" ? "in " : "out"}  ${e.cluster}/${e.proxy}  ${src} → ${dst}  ${e.method} ${e.authority}${e.path}  :status=${e.status}  ${e.durationMs.toFixed(1)}ms  ${e.mtls ? "mtls" : "plaintext"}${e.flags !== "-" ? `  flags=${e.flags}` : ""}`;
}

/** `weft tap <service>`: a live stream of the requests to a service its proxies see (linkerd viz tap). Needs OPERATOR in its namespace. */
export const registerTap: RegisterCommand = (program, ctx) => {
  const command = program
    .command("tap")
    .description("stream the requests to a service as its callers' proxies and its own see them (ctrl-C stops); needs OPERATOR in the service's namespace")
    .argument("<service>", "service name, or namespace/service")
    .option("-n, --namespace <namespace>", 'namespace of the service (default "default")')
    .option("--path <prefix>", "only paths starting with this")
    .option("--method <method>", "only this HTTP method")
    .option("--cluster <name>", "only this cluster's proxies")
    .option("--max-events <n>", "stop after this many requests")
    .action(
      ctx.action(async (target, opts, cmd) => {
        const [namespace, service] = target.includes("/") ? (target.split("/", 2) as [string, string]) : [opts.namespace ?? "default", target];
        const max = opts.maxEvents === undefined ? Infinity : Number(opts.maxEvents);
        if (!(max >= 1)) throw new UsageError(`--max-events must be a positive number, not "${opts.maxEvents}"`);
        const json = outputOf(cmd) === "json";
        const client = await ctx.connect();
        const session = await client.tap.start.mutate({ namespace, service, ...(opts.path && { path: opts.path }), ...(opts.method && { method: opts.method }), ...(opts.cluster && { cluster: opts.cluster }) });
        ctx.io.stderr(`tapping ${namespace}/${service}${opts.path ? ` path ${opts.path}*` : ""}${opts.method ? ` method ${opts.method.toUpperCase()}` : ""}: waiting for the clusters' agents\n`);
        let after = 0n;
        let shown = 0;
        let attached: string[] = [];
        try {
          while (!ctx.io.signal?.aborted && shown < max) {
            const page = await client.tap.events.query({ id: session.id, after });
            const newly = page.attached.filter((c) => !attached.includes(c));
            if (newly.length > 0) ctx.io.stderr(`relayed by ${newly.map((c) => `cluster ${c}`).join(", ")}\n`);
            attached = page.attached;
            for (const event of page.events) {
              after = event.id;
              if (shown >= max) break;
              shown++;
              ctx.io.stdout(json ? `${JSON.stringify(toPlain(event))}\n` : `${formatTapEvent(event)}\n`);
            }
            if (shown < max) await pause(POLL_MS, ctx.io.signal);
          }
        } finally {
          await client.tap.stop.mutate({ id: session.id }).catch(() => undefined);
        }
        return 0;
      }),
    );
  completeArguments(command, []);
};
