import type { RolloutRunSummary } from "@weft/api";
import { outputOf, UsageError, type RegisterCommand } from "../context.ts";
import { readManifests } from "../manifest-input.ts";
import { describeError } from "../output/describe.ts";
import { renderDocument, renderList } from "../output/render.ts";
import { describeRollout, formatRolloutEvent, newEvents, ROLLOUT_COLUMNS } from "../output/rollout-view.ts";

const WATCH_MS = 1000;

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => (clearTimeout(timer), resolve());
    const timer = setTimeout(() => (signal?.removeEventListener("abort", stop), resolve()), ms);
    signal?.addEventListener("abort", stop, { once: true });
  });
}

/** `name` or `namespace/name` (and -n) → the run reference of the Rollout's newest run. */
function refOf(target: string, namespace: string | undefined): { namespace: string; name: string } {
  const [ns, name] = target.includes("/") ? (target.split("/", 2) as [string, string]) : [namespace ?? "default", target];
  if (!name) throw new UsageError(`a rollout is named name or namespace/name, not "${target}"`);
  return { namespace: ns, name };
}

const ENDED = new Set(["Succeeded", "RolledBack", "Aborted"]);

function summaryLine(r: RolloutRunSummary): string {
  return `rollout ${r.namespace}/${r.name}: ${r.phase}, ${r.stepLabel}${r.message ? ` — ${r.message}` : ""}\n`;
}

/** `weft rollout start|status|list|pause|resume|promote|abort|retry`. */
export const registerRollout: RegisterCommand = (program, ctx) => {
  const rollout = program.command("rollout").description("canary rollouts: start one from a Rollout file, follow it, steer it");
  rollout
    .command("start")
    .description("start a rollout: store the Rollout of -f (a revision, through the change path) and run it; or run the stored Rollout NAME")
    .argument("[name]", "a stored Rollout (name or namespace/name), instead of -f")
    .option("-f, --filename <path>", "the Rollout document (YAML or JSON file, or - for stdin)")
    .option("-n, --namespace <namespace>", 'namespace of NAME (default "default")')
    .option("-m, --message <message>", "why: recorded with the Rollout's revision", "")
    .action(
      ctx.action(async (name, opts, cmd) => {
        if ((name === undefined) === (opts.filename === undefined)) throw new UsageError("give -f FILE or the name of a stored Rollout (not both)");
        const client = await ctx.connect();
        const input = opts.filename ? { text: (await readManifests(opts.filename, ctx.io)).text, message: opts.message } : { ...refOf(name as string, opts.namespace), message: opts.message };
        let result;
        try {
          result = await client.rollouts.start.mutate(input);
        } catch (err) {
          ctx.io.stderr(describeError(err));
          return 1;
        }
        const format = outputOf(cmd);
        if (format === "json" || format === "yaml") ctx.io.stdout(renderDocument(format, result));
        else if (result.status === "pending-approval") ctx.io.stdout(`the Rollout waits for approval as change request ${result.change?.changeRequest?.id}; once approved, run weft rollout start NAME\n`);
        else if (result.run) ctx.io.stdout(`started ${summaryLine(result.run)}`);
        return 0;
      }),
    );
  rollout
    .command("list")
    .description("rollouts in every namespace you may read: waiting for approval first, then running, then newest")
    .option("-n, --namespace <namespace>", "only this namespace")
    .option("--active", "only running ones")
    .action(
      ctx.action(async (opts, cmd) => {
        const rows = await (await ctx.connect()).rollouts.list.query({ ...(opts.namespace ? { namespace: opts.namespace } : {}), state: opts.active ? "active" : "all", limit: 200 });
        ctx.io.stdout(renderList(outputOf(cmd) ?? "table", rows, ROLLOUT_COLUMNS, { empty: "no rollouts" }));
        return 0;
      }),
    );
  rollout
    .command("status")
    .description("a rollout's phase, step, traffic per cluster, latest verdicts with their numbers and events; --watch prints events as they happen until it ends")
    .argument("<name>", "the Rollout (name or namespace/name): its newest run")
    .option("-n, --namespace <namespace>", 'namespace (default "default")')
    .option("-w, --watch", "keep printing new events until the rollout ends (ctrl-C stops)")
    .action(
      ctx.action(async (name, opts, cmd) => {
        const client = await ctx.connect();
        const ref = refOf(name, opts.namespace);
        let detail = await client.rollouts.get.query(ref);
        const format = outputOf(cmd);
        if (!opts.watch) {
          ctx.io.stdout(format === "json" || format === "yaml" ? renderDocument(format, detail) : describeRollout(detail));
          return 0;
        }
        ctx.io.stdout(describeRollout(detail));
        let last = newEvents(detail, 0n).lastId;
        const id = detail.run.id;
        while (!ENDED.has(detail.run.phase) && !ctx.io.signal?.aborted) {
          await pause(WATCH_MS, ctx.io.signal);
          detail = await client.rollouts.get.query({ id });
          const fresh = newEvents(detail, last);
          last = fresh.lastId;
          for (const e of fresh.events) ctx.io.stdout(`${formatRolloutEvent(e)}\n`);
        }
        if (ENDED.has(detail.run.phase)) ctx.io.stdout(summaryLine(detail.run));
        return detail.run.phase === "Succeeded" || !ENDED.has(detail.run.phase) ? 0 : 1;
      }),
    );
  const operation = (verb: "pause" | "resume" | "abort" | "retry", description: string) =>
    rollout
      .command(verb)
      .description(description)
      .argument("<name>", "the Rollout (name or namespace/name)")
      .option("-n, --namespace <namespace>", 'namespace (default "default")')
      .option("-m, --message <reason>", "why (recorded in the event and the audit log)")
      .action(
        ctx.action(async (name, opts) => {
          const client = await ctx.connect();
          const run = await client.rollouts[verb].mutate({ ...refOf(name, opts.namespace), ...(opts.message ? { reason: opts.message } : {}) });
          ctx.io.stdout(summaryLine(run));
          return 0;
        }),
      );
  operation("pause", "hold the rollout where it is (traffic stays; analysis stops)");
  operation("resume", "continue a paused rollout");
  operation("abort", "send every cluster back to the stable version now, skipping analysis");
  operation("retry", "start a rolled back or aborted rollout again from its first step");
  rollout
    .command("promote")
    .description("approve the gate the rollout waits at, or move to the next step now; --full: the canary takes every cluster now")
    .argument("<name>", "the Rollout (name or namespace/name)")
    .option("-n, --namespace <namespace>", 'namespace (default "default")')
    .option("--full", "promote to 100 % everywhere now")
    .action(
      ctx.action(async (name, opts) => {
        const client = await ctx.connect();
        const ref = refOf(name, opts.namespace);
        const current = (await client.rollouts.get.query(ref)).run;
        // A waiting gate is approved (the approver is recorded); otherwise the next step is forced.
        const run = current.awaitingApproval && !opts.full ? await client.rollouts.approve.mutate({ id: current.id }) : await client.rollouts.promote.mutate({ id: current.id, full: opts.full ?? false });
        ctx.io.stdout(summaryLine(run));
        return 0;
      }),
    );
};
