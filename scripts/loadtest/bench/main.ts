/**
 * `npm run bench:loadtest`: the distributed run at 10, 100 and 1,000 tasks. The merge (merge-bench.ts: time, peak
 * memory and error of merging N tasks' recordings) and the orchestration (orchestration-bench.ts: store requests and
 * the spread of the tasks' starts). Medians of several runs; prints ratios, asserts nothing.
 *
 *   npm run bench:loadtest [-- --runs N] [--tasks 10,100,1000] [--only merge|orchestration]
 */
import { UsageError, commandLineOrExit, refuseArguments } from "../../cli-usage";
import { DEFAULT_RUNS, formatMergeBench, mergeBench, parseBenchOptions } from "./merge-bench";
import { formatOrchestrationBench, orchestrationBench } from "./orchestration-bench";

const USAGE = `Usage:
  npm run bench:loadtest -- [--runs N] [--tasks 10,100,1000] [--only merge|orchestration]
      The distributed run at each task count: the merge's time, peak memory and error, the store's requests and the
      spread of the tasks' starts. Medians of N runs (default ${DEFAULT_RUNS}).`;

const OPTIONS = { runs: { type: "string" }, tasks: { type: "string" }, only: { type: "string" } } as const;

async function main(argv: readonly string[]): Promise<void> {
    const { options, only } = commandLineOrExit(argv, OPTIONS, { command: "npm run bench:loadtest --", text: USAGE }, ({ values, positionals }) => {
        refuseArguments(positionals);
        if (values.only !== undefined && values.only !== "merge" && values.only !== "orchestration") {
            throw new UsageError(`--only takes merge or orchestration, not "${values.only}"`);
        }
        try {
            return { options: parseBenchOptions(argv), only: values.only };
        } catch (error) {
            throw new UsageError(error instanceof Error ? error.message : String(error));
        }
    });
    const output: string[] = [];
    if (only !== "orchestration") {
        const rows = mergeBench(options);
        output.push("", ...formatMergeBench(rows, options));
    }
    if (only !== "merge") {
        const rows = await orchestrationBench(options);
        output.push("", ...formatOrchestrationBench(rows, options.runs));
    }
    for (const line of output) console.log(line);
}

main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
});
