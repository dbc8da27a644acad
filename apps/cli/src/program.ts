import { Command, Option } from "@commander-js/extra-typings";
import { COMMANDS } from "./commands/index.ts";
import type { CommandContext } from "./context.ts";
import { OUTPUT_FORMATS } from "./output/render.ts";

/** The weft program: global options, then every registered command. */
export function buildProgram(ctx: CommandContext): Command {
  const program = new Command()
    .name("weft")
    .description("weft: the command-line client of the Weft manager")
    .addOption(new Option("-o, --output <format>", "output format").choices(OUTPUT_FORMATS))
    .addHelpText(
      "after",
      "\nSettings: ~/.config/weft/config.json (or $WEFT_CONFIG), written by weft login; WEFT_SERVER and WEFT_TOKEN override it.\nShell completion: source <(weft completion bash) — also zsh and fish.",
    )
    .configureOutput({ writeOut: (text) => ctx.io.stdout(text), writeErr: (text) => ctx.io.stderr(text), outputError: (text, write) => write(`weft: ${text.replace(/^error: /, "")}`) })
    .showHelpAfterError("Run weft help for usage.")
    .exitOverride();
  for (const register of COMMANDS) register(program, ctx);
  // Subcommands report usage errors the same way and never call process.exit.
  for (const command of program.commands) command.copyInheritedSettings(program);
  return program;
}
