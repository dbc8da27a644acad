import { describe, expect, it } from "vitest";
import { DOCKERFILE_RULES, lintDockerfile, type DockerfileRule } from "./dockerfile-lint.ts";

// A Dockerfile that passes every rule; each case below breaks exactly one.
const GOOD = `FROM node:20.20.2-bookworm-slim AS base
WORKDIR /app

FROM base AS build
COPY . .
RUN npm ci --include=dev && npm run build

FROM base AS deps
COPY package.json package-lock.json ./
RUN npm ci --omit=dev

FROM base AS runtime
COPY --from=deps /app ./
COPY --from=build /app/dist/app.mjs app.mjs
USER 1000:1000
HEALTHCHECK CMD ["node", "-e", "process.exit(0)"]
ENTRYPOINT ["node", "app.mjs"]
`;

const edit = (from: string, to: string) => {
  if (!GOOD.includes(from)) throw new Error(`the good Dockerfile has no ${from}`);
  return GOOD.replace(from, to);
};

describe("lintDockerfile", () => {
  it("passes a Dockerfile that follows every rule", () => {
    expect(lintDockerfile(GOOD)).toEqual([]);
  });

  it.each<[string, string, DockerfileRule, number]>([
    ["an unpinned base", edit("node:20.20.2-bookworm-slim", "node:20-bookworm-slim"), "WEFT-DF001", 1],
    ["latest", edit("node:20.20.2-bookworm-slim", "node:latest"), "WEFT-DF001", 1],
    ["no tag at all", edit("node:20.20.2-bookworm-slim", "node"), "WEFT-DF001", 1],
    ["no USER", edit("USER 1000:1000\n", ""), "WEFT-DF002", 12],
    ["USER root", edit("USER 1000:1000", "USER root"), "WEFT-DF002", 15],
    ["USER 0", edit("USER 1000:1000", "USER 0:0"), "WEFT-DF002", 15],
    ["a secret in ENV", edit("WORKDIR /app", "WORKDIR /app\nENV NPM_TOKEN=abc"), "WEFT-DF003", 3],
    ["a secret ARG", edit("WORKDIR /app", "WORKDIR /app\nARG DB_PASSWORD"), "WEFT-DF003", 3],
    ["a key file copied", edit("COPY . .", "COPY . .\nCOPY certs/server.key /etc/ssl/"), "WEFT-DF003", 6],
    ["an .npmrc copied", edit("COPY package.json package-lock.json ./", "COPY package.json package-lock.json .npmrc ./"), "WEFT-DF003", 9],
    ["ADD", edit("COPY . .", "ADD . ."), "WEFT-DF004", 5],
    ["a shell-form ENTRYPOINT", edit('ENTRYPOINT ["node", "app.mjs"]', "ENTRYPOINT node app.mjs"), "WEFT-DF005", 17],
    ["a shell-form CMD", edit('ENTRYPOINT ["node", "app.mjs"]', "CMD node app.mjs"), "WEFT-DF005", 17],
    ["no HEALTHCHECK", edit('HEALTHCHECK CMD ["node", "-e", "process.exit(0)"]\n', ""), "WEFT-DF006", 12],
    ["HEALTHCHECK NONE", edit('HEALTHCHECK CMD ["node", "-e", "process.exit(0)"]', "HEALTHCHECK NONE"), "WEFT-DF006", 12],
    ["an unnamed stage", edit("FROM base AS build", "FROM base AS build\nRUN true\nFROM base"), "WEFT-DF007", 6],
    ["COPY --from an unknown stage", edit("COPY --from=build", "COPY --from=bulid"), "WEFT-DF007", 14],
    ["one stage only", "FROM node:20.20.2-bookworm-slim AS app\nUSER node\nHEALTHCHECK CMD [\"true\"]\n", "WEFT-DF007", 1],
    ["dev dependencies copied into the final image", edit("RUN npm ci --omit=dev", "RUN npm ci"), "WEFT-DF008", 10],
    ["npm install", edit("RUN npm ci --omit=dev", "RUN npm install --omit=dev"), "WEFT-DF008", 10],
    ["a relative WORKDIR", edit("WORKDIR /app", "WORKDIR app"), "WEFT-DF009", 2],
  ])("%s breaks only its rule", (_name, text, rule, line) => {
    expect(lintDockerfile(text)).toEqual([{ rule, line, message: expect.any(String) }]);
  });

  it("lets a stage inherit the USER and HEALTHCHECK of the stage it builds on", () => {
    expect(lintDockerfile(`${GOOD}\nFROM runtime AS demo\nCOPY demo demo\n`)).toEqual([]);
  });

  it("does not count dev dependencies of a stage the final image takes one built file from", () => {
    // build installs dev dependencies; runtime copies only its bundle.
    expect(lintDockerfile(GOOD).filter((f) => f.rule === "WEFT-DF008")).toEqual([]);
  });

  it("has a case for every rule", () => {
    expect(Object.keys(DOCKERFILE_RULES).sort()).toEqual(["WEFT-DF001", "WEFT-DF002", "WEFT-DF003", "WEFT-DF004", "WEFT-DF005", "WEFT-DF006", "WEFT-DF007", "WEFT-DF008", "WEFT-DF009"]);
  });
});
