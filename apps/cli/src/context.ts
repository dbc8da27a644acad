import type { Command } from "@commander-js/extra-typings";
import { managerClient, type ManagerClient } from "./client.ts";
import { configPath, loadConfig } from "./config.ts";
import { OUTPUT_FORMATS, type OutputFormat } from "./output/render.ts";

/** Where a run reads and writes: the process, or a test's buffers. */
export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdout(text: string): void;
  stderr(text: string): void;
  stdin: NodeJS.ReadableStream;
  /** Aborted when the user interrupts a long-running command (`top`, `tap`); tests abort it to stop one. */
  signal?: AbortSignal;
  /** stdout is a terminal: `top` redraws in place. */
  terminal?: boolean;
}

/** A usage mistake: printed with a hint, exit code 2. */
export class UsageError extends Error {}

/** What every command gets: the terminal, the manager, and a way to set the exit code. */
export interface CommandContext {
  readonly io: CliIo;
  /** A client authenticated with the stored (or WEFT_SERVER/WEFT_TOKEN) token. */
  connect(): Promise<ManagerClient>;
  /**
   * Wraps a command's action: the number it returns is the exit code
   * (0 ok, 1 failed or differs, 2 usage), thrown errors are reported once.
   */
  action<A extends unknown[]>(fn: (...args: A) => Promise<number>): (...args: A) => Promise<void>;
}

/** A command module adds its command (or command group) to the program. */
export type RegisterCommand = (program: Command, ctx: CommandContext) => void;

export async function connectManager(env: NodeJS.ProcessEnv): Promise<ManagerClient> {
  const config = await loadConfig(env);
  const server = env.WEFT_SERVER || config?.server;
  const token = env.WEFT_TOKEN || config?.token;
  if (!server || !token) throw new UsageError(`not logged in (no ${configPath(env)}); run weft login --server URL ...`);
  return managerClient(server, token);
}

/** The global `-o/--output` of the command (set before or after the subcommand's name). */
export function outputOf(command: { optsWithGlobals(): object }): OutputFormat | undefined {
  const value = (command.optsWithGlobals() as { output?: string }).output;
  if (value === undefined) return undefined;
  if (!(OUTPUT_FORMATS as readonly string[]).includes(value)) throw new UsageError(`-o must be one of ${OUTPUT_FORMATS.join(", ")}, not "${value}"`);
  return value as OutputFormat;
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}
