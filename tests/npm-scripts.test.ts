import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { once } from "node:events";
import * as net from "node:net";
import * as path from "node:path";

const ROOT = path.join(__dirname, "..");

async function freePort(): Promise<number> {
    const server = net.createServer().listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as net.AddressInfo;
    server.close();
    await once(server, "close");
    return port;
}

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
