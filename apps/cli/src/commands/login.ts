import { hostname } from "node:os";
import { managerClient, sessionClient } from "../client.ts";
import { saveConfig } from "../config.ts";
import { outputOf, readAll, UsageError, type RegisterCommand } from "../context.ts";
import { renderDocument } from "../output/render.ts";

/** `weft login`: keeps an API token (never the password) with the server URL. */
export const registerLogin: RegisterCommand = (program, ctx) => {
  program
    .command("login")
    .description("sign in to a manager and keep an API token for the other commands")
    .option("--server <url>", "the manager's URL (default $WEFT_SERVER)")
    .option("--token <token>", "an existing API token")
    .option("--username <name>", "sign in with a password and mint a token")
    .option("--password-stdin", "read the password from stdin (it is never taken as an argument)")
    .action(
      ctx.action(async (opts, cmd) => {
        const server = opts.server ?? ctx.io.env.WEFT_SERVER;
        if (!server) throw new UsageError("missing --server URL");
        let token = opts.token ?? "";
        if (!token) {
          if (!opts.username) throw new UsageError("give --token TOKEN, or --username NAME (password on stdin with --password-stdin)");
          if (!opts.passwordStdin) throw new UsageError("pass the password on stdin with --password-stdin (it is never taken as an argument)");
          const password = (await readAll(ctx.io.stdin)).replace(/\r?\n$/, "");
          const session = sessionClient(server);
          await session.auth.login.mutate({ username: opts.username, password });
          const created = await session.tokens.create.mutate({ name: `weft-cli ${hostname()} ${new Date().toISOString()}`.slice(0, 64).replace(/[^\w. -]/g, "-") });
          await session.auth.logout.mutate();
          token = created.token;
        }
        const me = await managerClient(server, token).auth.me.query();
        if (!me) throw new Error("the manager did not accept the token");
        const path = await saveConfig(ctx.io.env, { server, token, username: me.user.username });
        const format = outputOf(cmd);
        if (format === "json" || format === "yaml") ctx.io.stdout(renderDocument(format, { server, username: me.user.username, role: me.user.role, config: path }));
        else ctx.io.stdout(`logged in to ${server} as ${me.user.username} (${me.user.role.toLowerCase()}); settings in ${path}\n`);
        return 0;
      }),
    );
};
