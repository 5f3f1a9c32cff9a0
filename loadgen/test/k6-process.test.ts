import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { closeSync, constants, openSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { FakeScenario, fakeK6Workspace, fifosUnder } from "../../tests/fixtures/fake-k6";
import { K6Exit, OUTPUT_PIPE_NAME, startK6 } from "../src/k6-process";

const SCENARIO: FakeScenario = { thresholds: {}, totalDuration: "1s", maxVUs: 1, iterations: 40 };
/** Long enough to be stopped mid-run: 100,000 requests 2 ms apart. */
const LONG: FakeScenario = { ...SCENARIO, iterations: 100_000, iterationDelayMs: 2 };

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("a k6 process and its output pipe (k6-process.ts)", function () {
    this.timeout(15_000);
    const workspace = fakeK6Workspace("k6-process-");

    /** k6 (the fake unless `binary` says otherwise) running `scenario` in `workspace.dir`, its JSON lines counted. */
    async function run(scenario: FakeScenario, options: { binary?: string; args?: string[]; drainIdleMs?: number } = {}) {
        const archive = join(workspace.dir, "archive.tar");
        await writeFile(archive, JSON.stringify({ scenario, env: {} }));
        const lines: string[] = [];
        const k6 = startK6({
            binary: options.binary ?? "k6",
            args: options.args ?? ["run", archive],
            cwd: workspace.dir,
            pipeDir: workspace.dir,
            onDataLine: (line) => lines.push(line),
            ...(options.drainIdleMs !== undefined ? { drainIdleMs: options.drainIdleMs } : {}),
        });
        return { k6, lines };
    }

    async function firstLine(lines: string[]): Promise<void> {
        while (lines.length === 0) await pause(10);
    }

    const endings: [string, FakeScenario, { binary?: string }, (exit: K6Exit) => void][] = [
        ["k6 runs to its end", SCENARIO, {}, (exit) => assert.equal(exit.exitCode, 0)],
        ["k6 exits non-zero (a script exception)", { ...SCENARIO, failSegmentFrom: "0" }, {}, (exit) => assert.equal(exit.exitCode, 107)],
        ["k6 aborts in setup()", { ...SCENARIO, setupAbort: "no target" }, {}, (exit) => assert.equal(exit.exitCode, 108)],
        ["k6 exits at once, without opening the pipe", SCENARIO, { binary: "false" }, (exit) => assert.equal(exit.exitCode, 1)],
        ["k6 cannot start (no such binary)", SCENARIO, { binary: "/nonexistent/k6" }, (exit) => assert.match(exit.spawnError ?? "", /could not be started: spawn \/nonexistent\/k6 ENOENT/)],
    ];
    for (const [ending, scenario, options, check] of endings) {
        it(`leaves no pipe when ${ending}`, async () => {
            const { k6 } = await run(scenario, options);
            assert.equal(fifosUnder(workspace.dir).length, 1, "the pipe is there while k6 runs");
            check(await k6.exited);
            assert.deepEqual(fifosUnder(workspace.dir), []);
        });
    }

    it("leaves no pipe when k6 is stopped mid-run (Ctrl-C, a stop, a timeout), and keeps what k6 wrote", async () => {
        const { k6, lines } = await run(LONG);
        await firstLine(lines);
        k6.stop();
        assert.equal((await k6.exited).exitCode, 105);
        assert.ok(lines.length > 7, `${lines.length} lines`);
        assert.deepEqual(fifosUnder(workspace.dir), []);
    });

    it("removes its pipe when the start itself throws", async () => {
        await assert.rejects(run(SCENARIO, { args: ["run", "bad\0argument"] }), /null bytes/);
        assert.deepEqual(fifosUnder(workspace.dir), []);
    });

    it("cannot be hung by another process holding the pipe open: it stops waiting once the pipe has been idle", async () => {
        const { k6 } = await run({ ...SCENARIO, iterationDelayMs: 5 }, { drainIdleMs: 200 });
        // An editor that opened it read-write holds a write end: k6's end of file never comes.
        const editor = openSync(join(workspace.dir, OUTPUT_PIPE_NAME), constants.O_RDWR | constants.O_NONBLOCK);
        try {
            assert.equal((await k6.exited).exitCode, 0);
            assert.deepEqual(fifosUnder(workspace.dir), []);
        } finally {
            closeSync(editor);
        }
    });

    it("leaves no pipe when the process exits before k6 does (a second Ctrl-C leaves at once)", async () => {
        const archive = join(workspace.dir, "archive.tar");
        await writeFile(archive, JSON.stringify({ scenario: LONG, env: {} }));
        const leaver = [
            `const { startK6 } = require(${JSON.stringify(join(__dirname, "..", "src", "k6-process.ts"))});`,
            `const k6 = startK6({ binary: "k6", args: ["run", ${JSON.stringify(archive)}], cwd: ${JSON.stringify(workspace.dir)}, pipeDir: ${JSON.stringify(workspace.dir)},`,
            "    onDataLine: () => process.exit(130) });",
        ].join("\n");
        const exit = await promisify(execFile)(process.execPath, ["--import", "tsx", "-e", leaver]).then(
            () => 0,
            (error: { code?: number }) => error.code,
        );
        assert.equal(exit, 130);
        assert.deepEqual(fifosUnder(workspace.dir), []);
    });
});
