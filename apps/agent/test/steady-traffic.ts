// Steady traffic through a proxy's outbound listener, counted at the caller:
// the fault tests' measure of "zero failed requests".
import { send } from "./mesh-harness.ts";

export interface TrafficTally {
  sent: number;
  failed: number;
  /** The first few failures, for the failure message. */
  failures: string[];
  /** Every failure counted by its status and the first line of its body ("503 upstream connect failure"). */
  kinds: Record<string, number>;
}

/** Counts every request sent through the proxy while it runs; `stop()` returns the tally. */
export function steadyTraffic(port: number, host = "catalog") {
  const tally: TrafficTally = { sent: 0, failed: 0, failures: [], kinds: {} };
  let running = true;
  const loop = async () => {
    while (running) {
      tally.sent++;
      const reply = await send(port, host, { timeoutMs: 5000 }).catch((err: Error) => ({ status: 0, body: err.message }));
      if (reply.status !== 200) {
        tally.failed++;
        if (tally.failures.length < 10) tally.failures.push(`${reply.status} ${reply.body.slice(0, 120)}`);
        const kind = `${reply.status} ${reply.body.split("\n")[0]?.slice(0, 120) ?? ""}`;
        tally.kinds[kind] = (tally.kinds[kind] ?? 0) + 1;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const loops = [loop(), loop()];
  return {
    tally,
    async stop() {
      running = false;
      await Promise.all(loops);
      return tally;
    },
  };
}

