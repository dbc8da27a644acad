import { Argument } from "@commander-js/extra-typings";
import type { RegisterCommand } from "../context.ts";
import { completionScript, SHELLS } from "../completion/shells.ts";

/** `weft completion bash|zsh|fish`: the script a shell sources to complete weft's commands, kinds and flags. */
export const registerCompletion: RegisterCommand = (program, ctx) => {
  program
    .command("completion")
    .description("print the shell completion script: source <(weft completion bash), source <(weft completion zsh), weft completion fish | source")
    .addArgument(new Argument("<shell>", "the shell").choices(SHELLS))
    .action(
      ctx.action(async (shell) => {
        ctx.io.stdout(completionScript(shell));
        return 0;
      }),
    );
};
