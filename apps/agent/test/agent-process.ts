// weft-agent as a process, the way operators run it.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { killProxiesOf } from "../src/supervision/proxy-process.ts";

export const AGENT_BIN = join(import.meta.dirname, "../bin/weft-agent.js");

export interface AgentProcess {
  process: ChildProcess;
  output: () => string;
  /**
   * SIGTERM (the agent stops its proxies), SIGKILL after 15 s; then any proxy
   * of its state folder still running is killed (proxies outlive an agent that
   * had to be SIGKILLed, and a test must not leave them behind). An agent that
   * had already exited is left as it is, proxies included: a test that killed
   * it may start another to adopt them.
   */
  stop(): Promise<number | null>;
}

/** The command line of a universal-mode agent: its manager, file, state folder and admin port (and a join token on first start). */
export function universalAgentArgs(options: { manager: string; file: string; stateDir: string; adminPort: number; joinToken?: string }, ...more: string[]): string[] {
  return [
    "--manager",
    options.manager,
    ...(options.joinToken ? ["--join-token", options.joinToken] : []),
    "--mode",
    "universal",
    "--universal-file",
    options.file,
    "--state-dir",
    options.stateDir,
    "--admin-port",
    String(options.adminPort),
    ...more,
  ];
}

export function startAgentProcess(args: string[], env: NodeJS.ProcessEnv = {}): AgentProcess {
  const child = spawn(process.execPath, [AGENT_BIN, ...args], { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ...env } });
  let output = "";
  child.stderr?.setEncoding("utf8").on("data", (c: string) => (output = (output + c).slice(-50_000)));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    process: child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      const code = await exited;
      clearTimeout(killer);
      const stateDir = args[args.indexOf("--state-dir") + 1];
      if (args.includes("--state-dir") && stateDir) await killProxiesOf(stateDir);
      return code;
    },
  };
}
