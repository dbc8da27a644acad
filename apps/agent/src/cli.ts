import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import YAML from "yaml";
import { AgentConfigError, AgentConfigSchema, describeConfig, resolveAgentConfig, SETTINGS, type AgentConfig, type AgentSetting } from "./config.ts";

/** `--help` text, generated from the schema's descriptions so it never drifts. */
export function helpText(): string {
  const rows = (Object.entries(SETTINGS) as [AgentSetting, (typeof SETTINGS)[AgentSetting]][]).map(([key, s]) => {
    const field = AgentConfigSchema.shape[key];
    const fallback = field.safeParse(undefined);
    const def = fallback.success && fallback.data !== undefined ? ` (default: ${String(fallback.data)})` : "";
    return `  --${s.flag.padEnd(16)} ${s.env.padEnd(24)} ${field.description ?? ""}${def}`;
  });
  return [
    "Usage: weft-agent [options]",
    "",
    "Runs the Weft agent for one cluster: discovers services, configures the local",
    "proxies and keeps them in sync with the manager.",
    "",
    "Options (flag, environment variable, description):",
    ...rows,
    `  --${"config".padEnd(16)} ${"WEFT_AGENT_CONFIG".padEnd(24)} YAML or JSON file with the settings above (camelCase keys).`,
    `  --${"print-config".padEnd(16)} ${"".padEnd(24)} Print the effective configuration and exit.`,
    `  --${"help".padEnd(16)} ${"".padEnd(24)} Show this help.`,
  ].join("\n");
}

export type CliOutcome =
  | { action: "help"; output: string }
  | { action: "print-config"; output: string; config: AgentConfig }
  | { action: "run"; config: AgentConfig }
  | { action: "error"; output: string; exitCode: number };

async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new AgentConfigError([{ where: "--config", message: `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }]);
  }
  let parsed: unknown;
  try {
    parsed = YAML.parse(text, { prettyErrors: true });
  } catch (err) {
    throw new AgentConfigError([{ where: path, message: `is not valid YAML or JSON: ${(err as Error).message.split("\n")[0]}` }]);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== "object" || Array.isArray(parsed)) throw new AgentConfigError([{ where: path, message: "must be a mapping of settings" }]);
  return parsed as Record<string, unknown>;
}

/** Parses argv + environment (+ config file) into what the agent should do. Never exits the process itself. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv): Promise<CliOutcome> {
  const options = Object.fromEntries([
    ...Object.values(SETTINGS).map((s) => [s.flag, { type: "string" as const }]),
    ["config", { type: "string" as const }],
    ["print-config", { type: "boolean" as const }],
    ["help", { type: "boolean" as const, short: "h" }],
  ]);
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as Record<string, string | boolean | undefined>;
  } catch (err) {
    return { action: "error", output: `weft-agent: ${(err as Error).message}\nRun weft-agent --help for the options.`, exitCode: 2 };
  }
  if (values.help) return { action: "help", output: helpText() };
  try {
    const configPath = (values.config as string | undefined) ?? env.WEFT_AGENT_CONFIG;
    const file = configPath ? { path: configPath, values: await readConfigFile(configPath) } : undefined;
    const flags = Object.fromEntries(
      (Object.entries(SETTINGS) as [AgentSetting, (typeof SETTINGS)[AgentSetting]][]).filter(([, s]) => values[s.flag] !== undefined).map(([key, s]) => [key, values[s.flag] as string]),
    );
    const { config } = resolveAgentConfig({ flags, env, file });
    if (values["print-config"]) return { action: "print-config", output: YAML.stringify(describeConfig(config)), config };
    return { action: "run", config };
  } catch (err) {
    if (err instanceof AgentConfigError) return { action: "error", output: `weft-agent: invalid configuration\n${err.message}`, exitCode: 2 };
    throw err;
  }
}
