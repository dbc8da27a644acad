import { evaluateChecks, formatChecks, managerChecks, type CheckResult } from "../check/check-rules.ts";
import { configPath, loadConfig } from "../config.ts";
import { outputOf, type RegisterCommand } from "../context.ts";
import { describeError } from "../output/describe.ts";
import { renderDocument } from "../output/render.ts";

/** `weft check`: is the installation healthy? ✔/‼/✘ per check; exit 1 when any fails. */
export const registerCheck: RegisterCommand = (program, ctx) => {
  program
    .command("check")
    .description("check the installation: manager, database, CA key, every cluster connected and in sync, proxies on the current config, certificates; exit code 1 when a check fails")
    .action(
      ctx.action(async (_opts, cmd) => {
        const format = outputOf(cmd);
        const print = (results: CheckResult[]) => {
          const failed = results.some((r) => r.status === "fail");
          ctx.io.stdout(format === "json" || format === "yaml" ? renderDocument(format, { ok: !failed, checks: results }) : formatChecks(results));
          return failed ? 1 : 0;
        };
        const client = await ctx.connect();
        const server = ctx.io.env.WEFT_SERVER || (await loadConfig(ctx.io.env))?.server || configPath(ctx.io.env);
        let health;
        try {
          health = await client.health.status.query();
        } catch (err) {
          return print([{ group: "manager", name: "manager is reachable", status: "fail", detail: `${server}: ${describeError(err).replace(/^error: /, "").trim()}` }]);
        }
        const me = await client.auth.me.query().catch(() => null);
        if (!me) return print(managerChecks({ server, health, user: null }));
        const [authorities, clusters, expiring] = await Promise.all([client.identity.authorities.query(), client.clusters.list.query(), client.identity.certificates.query({ limit: 500 })]);
        return print(evaluateChecks({ server, health, user: { username: me.user.username, role: me.user.role }, authorities, clusters, expiring, now: new Date() }));
      }),
    );
};
