// Reads a ProxyConfig document (YAML or JSON) from disk.
import { readFile } from "node:fs/promises";
import { parseProxyConfigDocument } from "@weft/mesh-model/proxy-config";

/** The parsed (not yet validated) content of a config file; throws on read or parse errors. */
export async function loadConfigFile(path: string): Promise<unknown> {
  return parseProxyConfigDocument(await readFile(path, "utf8"));
}
