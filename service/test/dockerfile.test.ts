import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { SERVER_ENTRY } from "./server-process.js";

const serviceDir = fileURLToPath(new URL("..", import.meta.url));
const repoRoot = path.dirname(serviceDir);
const read = (file: string) => readFileSync(path.join(serviceDir, file), "utf8");

/** Dockerfile instructions as [keyword, arguments], continuation lines joined, comments dropped. */
function instructions(text: string): Array<[string, string]> {
  return text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const [keyword, ...rest] = line.split(/\s+/);
      return [keyword!.toUpperCase(), rest.join(" ")];
    });
}

describe("service: the image runs what the tests run", () => {
  const dockerfile = instructions(read("Dockerfile"));
  const stages = dockerfile.filter(([k]) => k === "FROM").map(([, args]) => args);
  const runtime = dockerfile.slice(dockerfile.findLastIndex(([k]) => k === "FROM"));

  it("starts the same built entry file as the real-server tests and `npm start`", () => {
    const cmd = runtime.filter(([k]) => k === "CMD").map(([, args]) => JSON.parse(args) as string[]);
    assert.deepEqual(cmd, [["node", "service/dist/server.js"]]);
    assert.equal(path.relative(repoRoot, SERVER_ENTRY), path.join("service", "dist", "server.js"));
    assert.ok(runtime.some(([k, args]) => k === "WORKDIR" && args === "/app"));

    const pkg = JSON.parse(read("package.json")) as { main: string; scripts: Record<string, string> };
    assert.equal(pkg.main, "dist/server.js");
    // exec: the shell npm runs the script with becomes node, so a signal to `npm start` reaches the server.
    assert.equal(pkg.scripts.start, "exec node dist/server.js");
    const root = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { scripts: Record<string, string> };
    assert.equal(root.scripts.start, "exec node service/dist/server.js");
    assert.equal(pkg.scripts.build, "tsc -p tsconfig.build.json");
    const build = JSON.parse(read("tsconfig.build.json")) as { compilerOptions: { rootDir: string; outDir: string } };
    assert.deepEqual([build.compilerOptions.rootDir, build.compilerOptions.outDir], ["src", "dist"]);
  });

  it("builds with the package's own build script and copies only dist and production dependencies", () => {
    assert.ok(dockerfile.some(([k, args]) => k === "RUN" && args === "npm run build --workspace service"));
    assert.ok(
      dockerfile.some(([k, args]) => k === "RUN" && args.includes("npm ci --workspace service --omit=dev")),
      "production dependencies from the lockfile",
    );
    assert.deepEqual(
      runtime.filter(([k]) => k === "COPY").map(([, args]) => args),
      [
        "--from=prod-deps /app/node_modules node_modules",
        "--from=prod-deps /app/service/node_modules service/node_modules",
        "--from=build /app/service/package.json service/package.json",
        "--from=build /app/service/dist service/dist",
      ],
    );
  });

  it("runs the Node .nvmrc names as a numeric non-root user and exposes 8000", () => {
    assert.ok(stages.length >= 2, "multi-stage");
    assert.ok(dockerfile.some(([k, args]) => k === "ARG" && args === `NODE_IMAGE=node:${readFileSync(path.join(repoRoot, ".nvmrc"), "utf8").trim()}-bookworm-slim`));
    assert.match(stages.at(-1)!, /^\$\{NODE_IMAGE\} AS runtime$/);
    const users = runtime.filter(([k]) => k === "USER").map(([, args]) => args);
    assert.equal(users.length, 1);
    assert.match(users[0]!, /^[1-9][0-9]*:[1-9][0-9]*$/);
    assert.deepEqual(
      runtime.filter(([k]) => k === "EXPOSE").map(([, args]) => args),
      ["8000"],
    );
  });

  it("sends the build only the files it copies (Dockerfile.dockerignore allow-list)", () => {
    const rules = read("Dockerfile.dockerignore")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#"));
    assert.equal(rules[0], "**");
    const allowed = rules.slice(1).map((r) => r.replace(/^!/, "").replace(/\/\*\*$/, ""));
    const copied = dockerfile
      .filter(([k, args]) => k === "COPY" && !args.startsWith("--from"))
      .flatMap(([, args]) => args.split(/\s+/).slice(0, -1));
    for (const source of copied) assert.ok(allowed.includes(source.replace(/\/$/, "")), `${source} is allowed`);
  });
});
