import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { envReader } from "../k6/lib/env";
import { readLoadProfile, readSmokeProfile, readStressProfile, stressStages } from "../k6/lib/profiles";
import { codeBlocks, commandLines, shellCommands, shellWords } from "./markdown";

/**
 * Every k6 run the README and docs/ show in a code block says how long it runs, and runs that long: the profile's
 * scheduled duration, read by k6/lib from the line's `-e` values as the script reads them, is at most the time its
 * comment states and more than half of it. On the README every such line must state one; on the other pages a line
 * that states none is not checked.
 */

const ROOT = path.join(__dirname, "..");
const SCRIPTS = ["smoke", "load", "stress"] as const;
type Script = (typeof SCRIPTS)[number];
const isScript = (name: string): name is Script => (SCRIPTS as readonly string[]).includes(name);

interface K6Run {
    script: Script;
    env: Record<string, string>;
}

/** The k6 run a shell command starts: `k6 run`, `npm run smoke|load|stress` or `npm run loadtest -- ... k6/<script>.ts`. */
function k6RunOf(words: readonly string[]): K6Run | undefined {
    const scriptFile = words.map((word) => /^k6\/(\w+)\.ts$/.exec(word)?.[1]).find((name) => name !== undefined);
    const npmScript = words[0] === "npm" && words[1] === "run" ? words[2] : undefined;
    const runs = (words[0] === "k6" && words[1] === "run") || npmScript === "loadtest";
    const script = npmScript !== undefined && isScript(npmScript) ? npmScript : runs ? scriptFile : undefined;
    if (script === undefined || !isScript(script)) return undefined;
    const env: Record<string, string> = {};
    words.forEach((word, index) => {
        if (word !== "-e" && word !== "--env") return;
        const [name, ...value] = (words[index + 1] ?? "").split("=");
        env[name] = value.join("=");
    });
    return { script, env };
}

/** The seconds k6's scenario is scheduled for (without the graceful stop), from k6/lib as the script reads it. */
function scheduledSeconds(run: K6Run): number {
    const reader = envReader(run.env);
    if (run.script === "smoke") return readSmokeProfile(reader).durationSeconds;
    if (run.script === "load") return readLoadProfile(reader).durationSeconds;
    return stressStages(readStressProfile(reader)).reduce((total, stage) => total + stage.seconds, 0);
}

const UNIT_SECONDS: Record<string, number> = { s: 1, second: 1, seconds: 1, min: 60, minute: 60, minutes: 60, h: 3600, hour: 3600, hours: 3600 };

/** The first duration a comment states: "30 s", "about 2 minutes", "an hour". */
function statedSeconds(comment: string): number | undefined {
    const match = /\b(\d+(?:\.\d+)?)\s*(s|seconds?|min|minutes?|h|hours?)\b|\b(an?) (minute|hour)\b/.exec(comment);
    if (!match) return undefined;
    return match[1] !== undefined ? Number(match[1]) * UNIT_SECONDS[match[2]] : UNIT_SECONDS[match[4]];
}

/** A line's comment: from an unquoted ` # ` on. */
function commentOf(line: string): string {
    const hash = line.search(/\s#\s/);
    return hash < 0 ? "" : line.slice(hash);
}

describe("the k6 runs the README and docs/ show run as long as they say", () => {
    describe("reading them", () => {
        it("finds the run, its script and its -e values in each way of starting one", () => {
            assert.deepEqual(k6RunOf(shellWords("k6 run -e DURATION=2m k6/load.ts")), { script: "load", env: { DURATION: "2m" } });
            assert.deepEqual(k6RunOf(shellWords("npm run smoke")), { script: "smoke", env: {} });
            assert.deepEqual(k6RunOf(shellWords("npm run loadtest -- --local --tasks 3 k6/stress.ts -e HOLD=0s --env X=a=b")), {
                script: "stress",
                env: { HOLD: "0s", X: "a=b" },
            });
            assert.equal(k6RunOf(shellWords("npm run loadtest -- merge k6/results/lt-1")), undefined);
            assert.equal(k6RunOf(shellWords("npx tsc -p k6/tsconfig.json")), undefined);
        });

        it("reads a stated duration and the scheduled one", () => {
            assert.equal(statedSeconds("# about 2 minutes"), 120);
            assert.equal(statedSeconds("# 30 s: is it up"), 30);
            assert.equal(statedSeconds("# an hour"), 3600);
            assert.equal(statedSeconds("# the same split, locally, in a second terminal"), undefined);
            assert.equal(scheduledSeconds({ script: "stress", env: {} }), 40 * 60);
            assert.equal(scheduledSeconds({ script: "smoke", env: { DURATION: "10s" } }), 10);
        });
    });

    const pages = ["README.md", ...fs.readdirSync(path.join(ROOT, "docs")).filter((name) => name.endsWith(".md")).map((name) => `docs/${name}`)];
    for (const page of pages) {
        it(`${page}${page === "README.md" ? ": every run states its duration, and" : ":"} every stated duration holds`, () => {
            const problems: string[] = [];
            const blocks = codeBlocks(fs.readFileSync(path.join(ROOT, page), "utf8"));
            for (const line of blocks.flatMap((block) => commandLines(block.code))) {
                const comment = commentOf(line);
                for (const run of shellCommands(line).map(k6RunOf)) {
                    if (run === undefined) continue;
                    const stated = statedSeconds(comment);
                    if (stated === undefined) {
                        if (page === "README.md") problems.push(`${line}: say how long it runs in a comment`);
                        continue;
                    }
                    const scheduled = scheduledSeconds(run);
                    if (scheduled > stated || scheduled <= stated / 2) {
                        problems.push(`${line}: k6 is scheduled for ${scheduled} s, the comment says ${stated} s`);
                    }
                }
            }
            assert.deepEqual(problems, []);
        });
    }
});
