// npm run audit -w @weft/supply-chain: `npm audit --omit=dev` over the shipped
// programs' production dependencies, judged against .ci/audit-exceptions.json
// (each exception names the advisory, why it does not apply, when it was added
// and the date by which it must be looked at again). Any advisory without a
// live exception fails; so does an exception past its review date.
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";

/** One accepted advisory, documented and dated. */
export interface AuditException {
  /** The advisory's URL or GHSA id, as `npm audit --json` names it. */
  advisory: string;
  package: string;
  /** Why it does not affect Weft (or what mitigates it). */
  reason: string;
  /** YYYY-MM-DD the exception was added. */
  added: string;
  /** YYYY-MM-DD by which it must be reviewed; past it, the exception no longer holds. */
  reviewBy: string;
}

/** The parts of `npm audit --json` (npm 7+) this reads. */
export interface AuditReport {
  vulnerabilities?: Record<string, { severity: string; via: (string | { source?: number; url?: string; title?: string; severity?: string })[] }>;
}

export interface AuditJudgement {
  /** Advisories without a live exception: each fails the check. */
  failures: string[];
  /** Advisories accepted by an exception. */
  accepted: string[];
  /** Exceptions past their review date, or for advisories no longer reported. */
  stale: string[];
}

/** Judges an audit report against the exceptions on `today` (YYYY-MM-DD). */
export function judgeAudit(report: AuditReport, exceptions: readonly AuditException[], today: string): AuditJudgement {
  const out: AuditJudgement = { failures: [], accepted: [], stale: [] };
  const seen = new Set<string>();
  for (const [name, vulnerability] of Object.entries(report.vulnerabilities ?? {})) {
    for (const via of vulnerability.via) {
      // A string `via` is another package's advisory, reported under that package.
      if (typeof via === "string" || via.url === undefined) continue;
      const id = via.url;
      seen.add(`${name} ${id}`);
      const exception = exceptions.find((e) => (id === e.advisory || id.endsWith(`/${e.advisory}`)) && e.package === name);
      const line = `${name}: ${via.title ?? "advisory"} (${via.severity ?? vulnerability.severity}) ${id}`;
      if (exception && exception.reviewBy >= today) out.accepted.push(`${line} — excepted on ${exception.added}: ${exception.reason}`);
      else out.failures.push(exception ? `${line} — its exception expired on ${exception.reviewBy}` : line);
    }
  }
  for (const e of exceptions) if (e.reviewBy < today || ![...seen].some((key) => key === `${e.package} ${e.advisory}` || (key.startsWith(`${e.package} `) && key.endsWith(`/${e.advisory}`)))) out.stale.push(`${e.package} ${e.advisory} (review by ${e.reviewBy})`);
  return out;
}

const ROOT = resolve(import.meta.dirname, "../../..");

/** Runs `npm audit --omit=dev --json`; null with the reason when the registry's audit service cannot be asked. */
async function runAudit(): Promise<{ report: AuditReport } | { unavailable: string }> {
  const { stdout } = await new Promise<{ stdout: string }>((done) => execFile("npm", ["audit", "--omit=dev", "--json"], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 }, (_err, stdout) => done({ stdout })));
  let parsed: AuditReport & { error?: { summary?: string }; message?: string; statusCode?: number };
  try {
    parsed = JSON.parse(stdout) as typeof parsed;
  } catch {
    return { unavailable: "npm audit printed no JSON" };
  }
  if (parsed.vulnerabilities === undefined) return { unavailable: parsed.message ?? parsed.error?.summary ?? "npm audit reported no result" };
  return { report: parsed };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const exceptions = JSON.parse(await readFile(join(ROOT, ".ci/audit-exceptions.json"), "utf8")) as { exceptions: AuditException[] };
  const result = await runAudit();
  if ("unavailable" in result) {
    // Not a pass: said loudly, so a run without the check is never mistaken for a clean one.
    console.log(`npm audit: NOT CHECKED — the registry's audit service could not be asked (${result.unavailable})`);
  } else {
    const judgement = judgeAudit(result.report, exceptions.exceptions, new Date().toISOString().slice(0, 10));
    for (const line of judgement.accepted) console.log(`accepted  ${line}`);
    for (const line of judgement.stale) console.log(`stale exception (remove or renew it)  ${line}`);
    for (const line of judgement.failures) console.log(`ADVISORY  ${line}`);
    console.log(`npm audit --omit=dev: ${judgement.failures.length} unexcepted advisories, ${judgement.accepted.length} excepted`);
    if (judgement.failures.length > 0) process.exit(1);
  }
}
