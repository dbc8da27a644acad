import { createServer } from "node:net";

const handedOut = new Set<number>();
/** A port the OS just handed out on loopback (for configs that must name a port up front). */
export async function freePort(): Promise<number> {
  // The kernel may hand a port it just gave out again once it is closed: never give one twice (a universal file naming a port twice is refused).
  for (;;) {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

/** Whether a process with this pid still exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
