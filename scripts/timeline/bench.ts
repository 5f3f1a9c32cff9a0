/**
 * How long `npm run timeline -- simulate` takes for every shipped environment stack and profile, against its 2 s
 * budget: the whole command as a user runs it (a fresh Node process through tsx, start-up included) and the
 * simulation alone, in this process. Medians of several runs.
 *
 *   npm run bench:timeline [-- --runs N]
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { median } from "../../k6/calibrate";
import { UsageError, commandLineOrExit, refuseArguments } from "../cli-usage";
import { TIMELINE_SCRIPTS } from "./args";
import { predict } from "./simulate/simulate";
import { readEnvironmentStack } from "./stack-file";

const BUDGET_MS = 2000;
const REPO_ROOT = path.join(__dirname, "..", "..");
const STACK_FILES = ["Pulumi.dev.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml"];

const USAGE = `Usage:
  npm run bench:timeline -- [--runs N]
      How long timeline simulate takes for every shipped stack and profile, against its ${BUDGET_MS} ms budget: the whole
      command (a fresh Node through tsx) and the simulation alone, medians of N runs each (default 5).`;

function runs(argv: readonly string[]): number {
    return commandLineOrExit(argv, { runs: { type: "string" } }, { command: "npm run bench:timeline --", text: USAGE }, ({ values, positionals }) => {
        refuseArguments(positionals);
        if (values.runs === undefined) return 5;
        const value = Number(values.runs);
        if (!Number.isInteger(value) || value < 1) throw new UsageError(`--runs expects a whole number >= 1, not "${values.runs}"`);
        return value;
    });
}

function commandMs(stackFile: string, script: string): number {
    const started = performance.now();
    const result = spawnSync(process.execPath, ["--import", "tsx", "scripts/timeline/main.ts", "simulate", "--stack", stackFile, "--script", script], {
        cwd: REPO_ROOT,
        encoding: "utf8",
    });
    if (result.status !== 0) throw new Error(`simulate ${stackFile} ${script} failed: ${result.stderr}`);
    return performance.now() - started;
}

function simulationMs(stackFile: string, script: (typeof TIMELINE_SCRIPTS)[number]): number {
    const config = readEnvironmentStack(path.join(REPO_ROOT, stackFile));
    const started = performance.now();
    predict({ stackFile, script, env: {}, assume: {} }, config);
    return performance.now() - started;
}

function main(): void {
    const count = runs(process.argv.slice(2));
    console.log(`timeline simulate, median of ${count} runs each (node ${process.version}); budget ${BUDGET_MS} ms per stack × profile`);
    console.log("stack × profile                 command ms   ratio to budget   simulation ms");
    for (const stackFile of STACK_FILES) {
        for (const script of TIMELINE_SCRIPTS) {
            const command = median(Array.from({ length: count }, () => commandMs(stackFile, script)));
            const simulation = median(Array.from({ length: count }, () => simulationMs(stackFile, script)));
            console.log(
                `${`${stackFile} × ${script}`.padEnd(30)} ${command.toFixed(0).padStart(10)}   ${(command / BUDGET_MS).toFixed(2).padStart(15)}   ${simulation.toFixed(0).padStart(13)}`,
            );
        }
    }
}

main();
