import { CommanderError } from "@commander-js/extra-typings";
import { complete, completionTree, formatCompletions } from "./completion/complete.ts";
import { connectManager, UsageError, type CliIo, type CommandContext } from "./context.ts";
import { describeError } from "./output/describe.ts";
import { buildProgram } from "./program.ts";

export type { CliIo } from "./context.ts";
export { resolveKind } from "./kinds.ts";

/** Runs one command; returns the exit code (0 ok, 1 failed or differs, 2 usage). */
export async function run(argv: string[], io: CliIo): Promise<number> {
  let exitCode = 0;
  const ctx: CommandContext = {
    io,
    connect: () => connectManager(io.env),
    action:
      (fn) =>
      async (...args) => {
        exitCode = await fn(...args);
      },
  };
  const program = buildProgram(ctx);
  // The shells' completion protocol: handled before parsing, since the words
  // being completed are often half-typed options the parser would refuse.
  if (argv[0] === "__complete") {
    io.stdout(formatCompletions(await complete(completionTree(program), argv.slice(1))));
    return 0;
  }
  if (argv.length === 0) {
    io.stderr(program.helpInformation());
    return 2;
  }
  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (err) {
    // Commander has printed its own message (or the help) already.
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof UsageError) {
      io.stderr(`weft: ${err.message}\nRun weft help for usage.\n`);
      return 2;
    }
    io.stderr(describeError(err));
    return 1;
  }
}
