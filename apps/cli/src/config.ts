import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

/** What `weft login` stores: the manager's URL and an API token. */
export interface CliConfig {
  server: string;
  token: string;
  username?: string;
}

/** `$WEFT_CONFIG`, else `$XDG_CONFIG_HOME/weft/config.json`, else `~/.config/weft/config.json`. */
export function configPath(env: NodeJS.ProcessEnv): string {
  if (env.WEFT_CONFIG) return env.WEFT_CONFIG;
  return join(env.XDG_CONFIG_HOME || join(homedir(), ".config"), "weft", "config.json");
}

export async function loadConfig(env: NodeJS.ProcessEnv): Promise<CliConfig | null> {
  let text: string;
  try {
    text = await readFile(configPath(env), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  const parsed = JSON.parse(text) as Partial<CliConfig>;
  if (typeof parsed.server !== "string" || typeof parsed.token !== "string") throw new Error(`${configPath(env)}: missing server or token; run weft login`);
  return { server: parsed.server, token: parsed.token, ...(parsed.username ? { username: parsed.username } : {}) };
}

/** Writes the config readable only by this user (it holds a token). */
export async function saveConfig(env: NodeJS.ProcessEnv, config: CliConfig): Promise<string> {
  const path = configPath(env);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
  return path;
}
