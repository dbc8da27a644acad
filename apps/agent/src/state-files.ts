// Files in the agent's state folder: written atomically (temp file + rename,
// so a crash never leaves half a file) and readable only by the agent.
import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

/** Writes `content` to `path` by rename, mode 0600, creating the folder (0700). */
export async function writeFileAtomically(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, content, { mode: 0o600 });
  // The mode of writeFile is filtered by the umask; the credential must be 0600 whatever it is.
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

/** The JSON in `path`, or undefined when the file does not exist. */
export async function readJsonFile(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as unknown;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}
