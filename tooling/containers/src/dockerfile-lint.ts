// Checks for Weft's Dockerfiles: the rules that matter for images we ship,
// after hadolint's (DL3006/DL3007 pinned base, DL3002 last user not root,
// DL3020 COPY not ADD, DL3025 JSON-form ENTRYPOINT/CMD, DL3000 absolute
// WORKDIR) plus our own (no secrets in layers, a healthcheck, multi-stage,
// no dev dependencies in the final image). hadolint itself is a Haskell
// binary that neither npm nor Debian ships to this machine, so these are
// written against dockerfile-ast, the parser behind VS Code's Dockerfile
// language server. Pure: text in, findings out.
import { DockerfileParser, type Copy, type From, type Instruction, type Property } from "dockerfile-ast";

export interface DockerfileFinding {
  rule: string;
  /** 1-based line of the instruction. */
  line: number;
  message: string;
}

/** What each rule checks, for the test that proves every rule bites. */
export const DOCKERFILE_RULES = {
  "WEFT-DF001": "every base image is pinned to an exact version (x.y.z) or a digest, never latest",
  "WEFT-DF002": "the final stage runs as a non-root user",
  "WEFT-DF003": "no secrets in layers: no secret-named ENV or ARG, no key, .env or .npmrc file copied",
  "WEFT-DF004": "COPY, not ADD",
  "WEFT-DF005": "ENTRYPOINT and CMD in JSON (exec) form, so signals reach the program",
  "WEFT-DF006": "the final stage has a HEALTHCHECK",
  "WEFT-DF007": "multi-stage: named stages, and COPY --from names an earlier one",
  "WEFT-DF008": "no dev dependencies in the final image: npm ci (never npm install) with --omit=dev wherever the final stage's files come from",
  "WEFT-DF009": "WORKDIR is absolute",
} as const;
export type DockerfileRule = keyof typeof DOCKERFILE_RULES;

const SECRET_NAME = /(password|passwd|secret|token|api_?key|private_?key|credential)/i;
const SECRET_FILE = /(^|\/)(\.env(\..*)?|\.npmrc|id_(rsa|ed25519|ecdsa)|credentials(\.json)?|[^/]*\.(pem|key|p12|pfx))$/;
const EXACT_VERSION = /^v?\d+\.\d+\.\d+([-.].*)?$/;

interface Stage {
  name: string | undefined;
  from: From;
  instructions: Instruction[];
  /** The stage it builds on, when FROM names an earlier stage. */
  parent: string | undefined;
}

function stagesOf(instructions: Instruction[]): Stage[] {
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.getKeyword() === "FROM") {
      const from = instruction as From;
      const image = from.getImageName() ?? "";
      stages.push({ name: from.getBuildStage() ?? undefined, from, instructions: [], parent: stages.some((s) => s.name === image) ? image : undefined });
    } else stages.at(-1)?.instructions.push(instruction);
  }
  return stages;
}

const lineOf = (i: Instruction) => i.getRange().start.line + 1;
const argsOf = (i: Instruction) => i.getArguments().map((a) => a.getValue());

/** Every finding for one Dockerfile's text, in line order. */
export function lintDockerfile(text: string): DockerfileFinding[] {
  const instructions = DockerfileParser.parse(text).getInstructions();
  const stages = stagesOf(instructions);
  const findings: DockerfileFinding[] = [];
  const add = (rule: DockerfileRule, instruction: Instruction, message: string) => findings.push({ rule, line: lineOf(instruction), message });
  const final = stages.at(-1);
  if (!final) return [{ rule: "WEFT-DF007", line: 1, message: "no FROM instruction" }];

  for (const stage of stages) {
    if (!stage.parent) {
      const image = stage.from.getImageName() ?? "";
      const tag = stage.from.getImageTag();
      if (!stage.from.getImageDigest() && !(tag && EXACT_VERSION.test(tag))) add("WEFT-DF001", stage.from, `base image ${image}${tag ? `:${tag}` : ""} is not pinned to an exact version or a digest`);
    }
    if (!stage.name) add("WEFT-DF007", stage.from, "name every stage (FROM image AS name)");
  }
  if (stages.length < 2) add("WEFT-DF007", final.from, "build in stages, so build tools stay out of the final image");

  const stageNames = new Set<string>();
  for (const stage of stages) {
    for (const instruction of stage.instructions) {
      const keyword = instruction.getKeyword();
      if (keyword === "ENV" || keyword === "ARG") {
        const names = keyword === "ENV" ? (instruction as unknown as { getProperties(): Property[] }).getProperties().map((p) => p.getName()) : [argsOf(instruction)[0]?.split("=")[0] ?? ""];
        for (const name of names.filter((n) => SECRET_NAME.test(n))) add("WEFT-DF003", instruction, `${keyword} ${name} would keep a secret in the image's layers and history; pass it at run time`);
      }
      if (keyword === "COPY" || keyword === "ADD") {
        const sources = argsOf(instruction).filter((a) => !a.startsWith("--")).slice(0, -1);
        for (const source of sources.filter((s) => SECRET_FILE.test(s))) add("WEFT-DF003", instruction, `${keyword} ${source} copies a secret into a layer`);
      }
      if (keyword === "ADD") add("WEFT-DF004", instruction, "use COPY: ADD also fetches URLs and unpacks archives, which hides what enters the image");
      if (keyword === "COPY") {
        const from = (instruction as Copy).getFromFlag()?.getValue();
        if (from && !stageNames.has(from) && !/[:@]/.test(from)) add("WEFT-DF007", instruction, `COPY --from=${from} names no earlier stage`);
      }
      if ((keyword === "ENTRYPOINT" || keyword === "CMD") && !instruction.getArgumentsContent()?.trim().startsWith("[")) add("WEFT-DF005", instruction, `${keyword} in shell form runs under /bin/sh, which does not pass SIGTERM on; use the JSON form`);
      if (keyword === "WORKDIR" && !(argsOf(instruction)[0] ?? "").startsWith("/") && !(argsOf(instruction)[0] ?? "").startsWith("$")) add("WEFT-DF009", instruction, "WORKDIR must be an absolute path");
      if (keyword === "RUN" && /\bnpm\s+(install|i)\b/.test(instruction.getArgumentsContent() ?? "")) add("WEFT-DF008", instruction, "npm install may change the lockfile's versions; use npm ci");
    }
    if (stage.name) stageNames.add(stage.name);
  }

  const users = final.instructions.filter((i) => i.getKeyword() === "USER");
  const lastUser = users.at(-1);
  const user = lastUser ? (argsOf(lastUser)[0] ?? "").split(":")[0] : undefined;
  // A stage built on another inherits its USER.
  const inherited = !lastUser && final.parent ? stages.find((s) => s.name === final.parent)?.instructions.filter((i) => i.getKeyword() === "USER").at(-1) : undefined;
  const effective = user ?? (inherited ? (argsOf(inherited)[0] ?? "").split(":")[0] : undefined);
  if (effective === undefined || effective === "root" || effective === "0") add("WEFT-DF002", lastUser ?? final.from, effective === undefined ? "the final stage never sets USER, so it runs as root" : `the final stage runs as ${effective}`);

  if (!ancestry(stages, final).some((s) => s.instructions.some((i) => i.getKeyword() === "HEALTHCHECK" && !/^\s*NONE\b/i.test(i.getArgumentsContent() ?? "")))) {
    add("WEFT-DF006", final.from, "the final stage has no HEALTHCHECK");
  }

  for (const stage of finalSources(stages, final)) {
    for (const instruction of stage.instructions.filter((i) => i.getKeyword() === "RUN" && /\bnpm\s+ci\b/.test(i.getArgumentsContent() ?? ""))) {
      if (!/--omit[= ]dev\b/.test(instruction.getArgumentsContent() ?? "")) add("WEFT-DF008", instruction, `stage ${stage.name ?? "?"} feeds the final image but installs dev dependencies; use npm ci --omit=dev`);
    }
  }
  return findings.sort((a, b) => a.line - b.line || a.rule.localeCompare(b.rule));
}

/** The stage and the stages it builds on. */
function ancestry(stages: Stage[], stage: Stage): Stage[] {
  const chain = [stage];
  for (let s = stage; s.parent; ) {
    const parent = stages.find((x) => x.name === s.parent);
    if (!parent || chain.includes(parent)) break;
    chain.push(parent);
    s = parent;
  }
  return chain;
}

/**
 * Stages whose installed dependencies can end up in the final image: its
 * ancestry, and stages whose node_modules (or whole /app) it copies.
 * Copying a single built file (a bundle, the generated client) is not that.
 */
function finalSources(stages: Stage[], final: Stage): Stage[] {
  const result = ancestry(stages, final);
  for (const stage of [...result]) {
    for (const copy of stage.instructions.filter((i): i is Copy => i.getKeyword() === "COPY")) {
      const from = copy.getFromFlag()?.getValue();
      const source = stages.find((s) => s.name === from);
      const paths = argsOf(copy).filter((a) => !a.startsWith("--")).slice(0, -1);
      if (source && paths.some((p) => /node_modules|^\/?app\/?$|^\.\/?$|^\/$/.test(p))) result.push(...ancestry(stages, source).filter((s) => !result.includes(s)));
    }
  }
  return result;
}
