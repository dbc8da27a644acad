// Shell completion: the pure walk over weft's real command tree, then each
// shell's script run by the real shell against the real `weft __complete`.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { complete, completionTree, type CompletionNode } from "../src/completion/complete.ts";
import { buildProgram } from "../src/program.ts";

const exec = promisify(execFile);
const BIN = join(import.meta.dirname, "..", "bin", "weft.js");

function tree(): CompletionNode {
  const never = () => Promise.reject(new Error("completion must not connect"));
  return completionTree(buildProgram({ io: { env: {}, stdout: () => {}, stderr: () => {}, stdin: process.stdin }, connect: never, action: () => async () => {} }));
}

describe("completion over the command tree", () => {
  it.each([
    { words: ["ge"], values: ["get"] },
    { words: ["d"], values: ["diff", "delete", "diagnostics"] },
    { words: ["get", "http"], values: ["httproute"] },
    { words: ["get", "httproute", ""], values: [] },
    { words: ["delete", "trafficp"], values: ["trafficpolicy"] },
    { words: ["get", "-n", "shop", "gate"], values: ["gateway"] },
    { words: ["get", "--na"], values: ["--namespace"] },
    { words: ["get", "--o"], values: ["--output"] },
    { words: ["-o", "y"], values: ["yaml"] },
    { words: ["get", "-o", ""], values: ["table", "wide", "json", "yaml"] },
    { words: ["completion", ""], values: ["bash", "zsh", "fish"] },
    { words: ["__complete"], values: [] },
  ])("$words → $values", async ({ words, values }) => {
    const result = await complete(tree(), words);
    expect(result.candidates.map((c) => c.value)).toEqual(values);
  });

  it("asks the shell for file names after -f, and only there", async () => {
    expect(await complete(tree(), ["apply", "-f", ""])).toEqual({ candidates: [], files: true });
    expect((await complete(tree(), ["apply", ""])).files).toBe(false);
  });
});

describe("the shells' completion scripts", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "weft-completion-"));
    await writeFile(join(dir, "routes.yaml"), "");
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // Each script calls `weft`; here that is a shell function running this checkout's bin.
  it("bash: completes commands, kinds and file names", async () => {
    const script = (line: string[]) =>
      `weft() { node ${BIN} "$@"; }; source <(weft completion bash); COMP_WORDS=(${line.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${line.length - 1}; _weft_complete; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const run = async (line: string[]) => (await exec("bash", ["-c", script(line)], { cwd: dir })).stdout.trim().split("\n");
    expect(await run(["weft", "hist"])).toEqual(["history"]);
    expect(await run(["weft", "get", "externals"])).toEqual(["externalservice"]);
    expect(await run(["weft", "apply", "-f", "rou"])).toEqual(["routes.yaml"]);
  });

  it("zsh: turns the candidates into _describe entries and files into _files", async () => {
    // _describe, compadd and _files are zsh's completion system, which needs a
    // terminal; stand-ins print what the script hands them.
    const script = (line: string[]) =>
      `weft() { node ${BIN} "$@" }; compdef() {}; source <(weft completion zsh); _describe() { print -l -- "\${(P)\${@[-1]}}" }; compadd() { print -l -- "\${(P)\${@[-1]}}" }; _files() { print FILES }; words=(${line.map((w) => `'${w}'`).join(" ")}); CURRENT=${line.length}; _weft`;
    const run = async (line: string[]) => (await exec("zsh", ["-c", script(line)], { cwd: dir })).stdout.trim().split("\n");
    expect(await run(["weft", "rollb"])).toEqual(["rollback:restore an earlier revision's content as a new revision"]);
    expect(await run(["weft", "get", "-o", "w"])).toEqual(["wide"]);
    expect(await run(["weft", "diff", "-f", ""])).toEqual(["FILES"]);
  });

  it("fish: completes with descriptions through complete -C", async () => {
    const { stdout } = await exec("fish", ["-c", `function weft; node ${BIN} $argv; end; weft completion fish | source; complete -C 'weft com'; complete -C 'weft get peer'; complete -C 'weft apply -f rou'`], { cwd: dir });
    expect(stdout.trim().split("\n")).toEqual([expect.stringMatching(/^completion\tprint the shell completion script/), "peerauthentication", "routes.yaml"]);
  });
});
