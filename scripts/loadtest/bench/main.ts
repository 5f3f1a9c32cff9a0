/**
 * `npm run bench:loadtest`: the distributed run at 10, 100 and 1,000 tasks. The merge (merge-bench.ts: time, peak
 * memory and error of merging N tasks' recordings) and the orchestration (orchestration-bench.ts: store requests and
 * the spread of the tasks' starts). Medians of several runs; prints ratios, asserts nothing.
 *
 *   npm run bench:loadtest [-- --runs N] [--tasks 10,100,1000] [--only merge|orchestration]
 */
import { formatMergeBench, mergeBench, parseBenchOptions } from "./merge-bench";
import { formatOrchestrationBench, orchestrationBench } from "./orchestration-bench";

async function main(argv: readonly string[]): Promise<void> {
    const options = parseBenchOptions(argv);
    const only = argv.includes("--only") ? argv[argv.indexOf("--only") + 1] : undefined;
    if (only !== undefined && only !== "merge" && only !== "orchestration") throw new Error(`--only takes merge or orchestration, not "${only}"`);
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
