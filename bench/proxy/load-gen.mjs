// Open-loop load generator: sends requests on a fixed schedule (rate per
// second) over a keep-alive pool, whatever the responses do, and measures
// each latency from the request's *scheduled* start, so a stall shows up in
// every request that should have been sent during it (coordinated-omission
// correction, as wrk2 does). Prints percentiles as JSON.
//   node load-gen.mjs <url> <rate> <seconds> [connections]
import { Agent, request } from "node:http";

const [url, rateArg, secondsArg, connArg] = process.argv.slice(2);
const rate = Number(rateArg ?? 1000);
const seconds = Number(secondsArg ?? 10);
const target = new URL(url);
const agent = new Agent({ keepAlive: true, maxSockets: Number(connArg ?? 64) });
const total = Math.round(rate * seconds);
const latencies = new Float64Array(total);
let done = 0;
let errors = 0;
const start = performance.now();
const interval = 1000 / rate;

function fire(i) {
  const scheduled = start + i * interval;
  const req = request({ host: target.hostname, port: target.port, path: target.pathname, agent }, (res) => {
    res.on("data", () => undefined);
    res.on("end", () => {
      latencies[i] = performance.now() - scheduled;
      if (res.statusCode !== 200) errors++;
      if (++done === total) finish();
    });
  });
  req.on("error", () => {
    latencies[i] = performance.now() - scheduled;
    errors++;
    if (++done === total) finish();
  });
  req.end();
}

let next = 0;
function tick() {
  // Catch up on everything due: a late timer must not lower the offered rate.
  const due = Math.min(total, Math.floor((performance.now() - start) / interval) + 1);
  while (next < due) fire(next++);
  if (next < total) setTimeout(tick, Math.max(0, start + next * interval - performance.now()));
}
tick();

function finish() {
  const sorted = Array.from(latencies).sort((a, b) => a - b);
  const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * (sorted.length - 1)))];
  const elapsed = (performance.now() - start) / 1000;
  process.stdout.write(
    `${JSON.stringify({ requests: total, errors, seconds: elapsed, achievedRps: total / elapsed, p50: q(0.5), p90: q(0.9), p99: q(0.99), p999: q(0.999), max: sorted.at(-1) })}\n`,
  );
  agent.destroy();
}
