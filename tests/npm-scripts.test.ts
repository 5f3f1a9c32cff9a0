import { strict as assert } from "node:assert";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import * as fs from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { freePort } from "../scripts/timeline/model-check/measure";

const ROOT = path.join(__dirname, "..");
/** npm's own entry file, as `npm` runs it (npm sets npm_execpath for the scripts it runs, mocha's among them). */
const NPM_CLI = process.env.npm_execpath ?? path.join(path.dirname(process.execPath), "..", "lib", "node_modules", "npm", "bin", "npm-cli.js");

function accepts(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = net.connect({ port, host: "127.0.0.1" });
        socket.once("connect", () => {
            socket.destroy();
            resolve(true);
        });
        socket.once("error", () => resolve(false));
    });
}

/**
 * What a process manager, a CI job or `kill` does: SIGTERM to the process `npm start` is. The server must be that
 * process's child with nothing in between, so it drains and exits as it does in the container.
 * (`--ignore-scripts` skips only prestart's build, which npm test's pretest has done.)
 */
describe("npm start (the root package's script)", function () {
    this.timeout(30_000);

    it("runs the server as the process SIGTERM reaches: the port is free within seconds, after a clean drain", async () => {
        const port = await freePort();
        const npm = spawn("npm", ["start", "--ignore-scripts", "--silent"], {
            cwd: ROOT,
            env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", METRICS_NAMESPACE: "" },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let output = "";
        npm.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
        npm.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
        const exited = once(npm, "exit");
        try {
            const listening = Date.now() + 20_000;
            while (!output.includes('"msg":"listening"')) {
                assert.ok(Date.now() < listening, `npm start did not listen within 20 s:\n${output}`);
                await new Promise((resolve) => setTimeout(resolve, 50));
            }
            assert.equal(await accepts(port), true);

            const signalled = Date.now();
            npm.kill("SIGTERM");
            await exited;
            const seconds = (Date.now() - signalled) / 1000;
            assert.ok(seconds < 5, `npm start took ${seconds} s to exit after SIGTERM`);
            assert.equal(await accepts(port), false, `port ${port} is still held after npm start exited:\n${output}`);
            assert.match(output, /"reason":"SIGTERM".*"msg":"shut down cleanly"/);
        } finally {
            npm.kill("SIGKILL");
        }
    });
});

/** npm run smoke | load | stress, with a `k6` on PATH that prints the arguments it was given. */
describe("npm run smoke, load and stress (the shipped k6 runs)", function () {
    this.timeout(20_000);
    let dir: string;
    /** A PATH of node, npm and sh only, so that a k6 installed on this machine is not found. */
    let bare: string;
    let fakeK6: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(tmpdir(), "npm-k6-"));
        bare = path.join(dir, "bare");
        fakeK6 = path.join(dir, "fake");
        fs.mkdirSync(bare);
        fs.mkdirSync(fakeK6);
        fs.symlinkSync("/bin/sh", path.join(bare, "sh"));
        fs.symlinkSync(process.execPath, path.join(bare, "node"));
        fs.writeFileSync(path.join(fakeK6, "k6"), '#!/bin/sh\nprintf "%s|" "$@"\n');
        fs.chmodSync(path.join(fakeK6, "k6"), 0o755);
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const npmRun = (script: string, args: string[], withK6: boolean) =>
        spawnSync(process.execPath, [NPM_CLI, "run", "--silent", script, "--", ...args], {
            cwd: ROOT,
            encoding: "utf8",
            env: { ...process.env, PATH: [...(withK6 ? [fakeK6] : []), bare].join(path.delimiter) },
        });

    it("runs k6 on the script with the -e options first, as k6's docs write them", () => {
        for (const script of ["smoke", "load", "stress"]) {
            const run = npmRun(script, ["-e", "BASE_URL=http://127.0.0.1:8001", "-e", "DURATION=2m"], true);
            assert.equal(run.status, 0, run.stderr);
            assert.equal(run.stdout, `run|-e|BASE_URL=http://127.0.0.1:8001|-e|DURATION=2m|k6/${script}.ts|`);
        }
    });

    it("without k6 on PATH, says so and where to get it", () => {
        const run = npmRun("smoke", [], false);
        assert.equal(run.status, 127);
        assert.match(run.stderr, /^k6 is not on PATH: install k6 v2 \(https:\/\/grafana\.com\/docs\/k6\/latest\/set-up\/install-k6\/\)/);
    });
});
