import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { RESULTS_DIR } from "../k6/lib/summary";
import { codeBlocks, commandLines, shellCommands } from "./markdown";

/**
 * What the tools write, by default or where the README and docs/ tell them to, is ignored by git: a first run leaves
 * `git status` clean.
 */

const ROOT = path.join(__dirname, "..");
const OUTPUT_OPTIONS = new Set(["--json", "--html", "--out", "--summary-export"]);

function ignored(files: readonly string[]): string[] {
    const check = spawnSync("git", ["check-ignore", "--no-index", "--stdin"], { cwd: ROOT, input: files.join("\n"), encoding: "utf8" });
    assert.ok(check.status === 0 || check.status === 1, `git check-ignore failed: ${check.stderr}`);
    return check.stdout.split("\n").filter((line) => line !== "");
}

/** The files the pages' commands write: the value of each output option, placeholders filled in. */
function documentedOutputs(): string[] {
    const pages = ["README.md", ...fs.readdirSync(path.join(ROOT, "docs")).filter((name) => name.endsWith(".md")).map((name) => `docs/${name}`)];
    const outputs = pages.flatMap((page) =>
        codeBlocks(fs.readFileSync(path.join(ROOT, page), "utf8"))
            .flatMap((block) => commandLines(block.code))
            .flatMap(shellCommands)
            .filter((words) => words[0] !== "pulumi")
            .flatMap((words) => words.filter((_, index) => index > 0 && OUTPUT_OPTIONS.has(words[index - 1]))),
    );
    return [...new Set(outputs.map((file) => file.replace(/<[^>]+>/g, "x")))];
}

describe("git ignores what the tools write", () => {
    it("by default: k6 summaries and loadtest results, benchmark results, timelines", () => {
        const defaults = [`${RESULTS_DIR}/load-20261206T120000Z.json`, "service/bench-results/bench.json", "timelines/predicted.json"];
        assert.deepEqual(ignored(defaults), defaults);
    });

    it("where the README and docs/ write their outputs", () => {
        const outputs = documentedOutputs();
        assert.ok(outputs.length >= 5, `only ${outputs.length} outputs found in the docs' commands`);
        const ignoredOutputs = ignored(outputs);
        assert.deepEqual(outputs.filter((file) => !ignoredOutputs.includes(file)), []);
    });
});
