import * as assert from "node:assert/strict";
import { DescribeImagesCommand, GetAuthorizationTokenCommand, ImageNotFoundException, RepositoryNotFoundException } from "@aws-sdk/client-ecr";
import { K6_IMAGE, NODE_IMAGE, runnerImageTag } from "../loadgen/src/image";
import {
    BuildImageError,
    ProcessResult,
    REPOSITORY_ROOT,
    RunOptions,
    buildRunnerImage,
    planRunnerImageBuild,
    runProcess,
} from "../scripts/loadtest/build-image";
import { LOADGEN_OUTPUTS } from "./loadtest-stack-fixture";
import { ecrMock, mockedClient } from "./promote-fixtures";

const STACK = "loadgen-eu";
const REGISTRY = "111111111111.dkr.ecr.eu-west-1.amazonaws.com";
const PASSWORD = "eyJwYXlsb2FkIjoiZmFrZSJ9-not-a-real-password";

const ecr = mockedClient();

interface RunCall {
    command: string;
    args: readonly string[];
    options: RunOptions;
}

/** A process runner that records its calls and answers each with the next scripted result (an Error rejects). */
function scriptedRunner(...results: (ProcessResult | Error)[]) {
    const calls: RunCall[] = [];
    const run = async (command: string, args: readonly string[], options: RunOptions): Promise<ProcessResult> => {
        calls.push({ command, args, options });
        const result = results.shift() ?? { code: 0, stdout: "", stderr: "" };
        if (result instanceof Error) throw result;
        return result;
    };
    return { run, calls };
}

const ok: ProcessResult = { code: 0, stdout: "", stderr: "" };
const failed = (stderr: string, code = 1): ProcessResult => ({ code, stdout: "", stderr });

function registryHasTag(present: boolean): void {
    if (present) ecrMock.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: "sha256:1234", imageTags: [runnerImageTag()] }] });
    else ecrMock.on(DescribeImagesCommand).rejects(new ImageNotFoundException({ message: "The image with imageId {imageTag:'x'} does not exist", $metadata: {} }));
    ecrMock.on(GetAuthorizationTokenCommand).resolves({
        authorizationData: [{ authorizationToken: Buffer.from(`AWS:${PASSWORD}`).toString("base64"), proxyEndpoint: `https://${REGISTRY}` }],
    });
}

async function build(run: ReturnType<typeof scriptedRunner>["run"], outputs = LOADGEN_OUTPUTS) {
    const lines: string[] = [];
    const result = await buildRunnerImage({ stack: STACK, outputs, ecr, run, log: (line) => lines.push(line) });
    return { result, lines };
}

async function buildFailure(run: ReturnType<typeof scriptedRunner>["run"]): Promise<string> {
    const error = await build(run).then(
        () => assert.fail("the build should have failed"),
        (failure: unknown) => failure,
    );
    assert.ok(error instanceof BuildImageError, `expected a BuildImageError, got ${String(error)}`);
    return error.message;
}

describe("loadtest build-image", () => {
    const tag = runnerImageTag();
    const image = `${LOADGEN_OUTPUTS.repositoryUrl}:${tag}`;
    const current = { ...LOADGEN_OUTPUTS, runnerImage: image };

    beforeEach(() => {
        ecrMock.reset();
        ecrMock.onAnyCommand().rejects(new Error("not mocked"));
    });

    it("plans docker login with the password on stdin and a linux/amd64 buildx build from the repository root", () => {
        assert.deepEqual(planRunnerImageBuild(LOADGEN_OUTPUTS, "runner-0000111122223333"), {
            image: `${LOADGEN_OUTPUTS.repositoryUrl}:runner-0000111122223333`,
            tag: "runner-0000111122223333",
            registry: REGISTRY,
            login: ["login", "--username", "AWS", "--password-stdin", REGISTRY],
            build: [
                "buildx",
                "build",
                "--platform",
                "linux/amd64",
                "-f",
                "loadgen/Dockerfile",
                "--build-arg",
                `K6_IMAGE=${K6_IMAGE}`,
                "--build-arg",
                `NODE_IMAGE=${NODE_IMAGE}`,
                "-t",
                `${LOADGEN_OUTPUTS.repositoryUrl}:runner-0000111122223333`,
                "--push",
                ".",
            ],
        });
    });

    it("skips the build when the repository already has the tag", async () => {
        registryHasTag(true);
        const { run, calls } = scriptedRunner();

        const { result, lines } = await build(run, current);

        assert.deepEqual(result, { image, outcome: "already-pushed", taskDefinitionCurrent: true });
        assert.deepEqual(lines, [`${image} is already in loadgen-runner: nothing to build.`]);
        assert.deepEqual(calls, []);
        assert.deepEqual(
            ecrMock.calls().map((call) => call.args[0].input),
            [{ registryId: "111111111111", repositoryName: "loadgen-runner", imageIds: [{ imageTag: tag }] }],
        );
    });

    it("otherwise logs in with the password on stdin only, then builds and pushes", async () => {
        registryHasTag(false);
        const { run, calls } = scriptedRunner(ok, ok);

        const { result, lines } = await build(run, current);

        assert.deepEqual(result, { image, outcome: "pushed", taskDefinitionCurrent: true });
        assert.deepEqual(calls, [
            { command: "docker", args: ["login", "--username", "AWS", "--password-stdin", REGISTRY], options: { cwd: REPOSITORY_ROOT, stdin: PASSWORD } },
            { command: "docker", args: planRunnerImageBuild(LOADGEN_OUTPUTS, tag).build, options: { cwd: REPOSITORY_ROOT, echo: true } },
        ]);
        assert.ok(calls.every((call) => !call.args.some((arg) => arg.includes(PASSWORD))));
        assert.ok(lines.every((line) => !line.includes(PASSWORD)));
        assert.deepEqual(lines, [`Building and pushing ${image} (linux/amd64) ...`, `Pushed ${image}.`]);
    });

    it("says to run pulumi up when the deployed task definition runs another image", async () => {
        registryHasTag(true);
        const { run } = scriptedRunner();

        const { result, lines } = await build(run);

        assert.equal(result.taskDefinitionCurrent, false);
        assert.equal(
            lines[1],
            `the task definition of loadgen-eu runs ${LOADGEN_OUTPUTS.runnerImage}, not ${image}: run pulumi up -s loadgen-eu so the task definition runs this image`,
        );
    });

    describe("failures name the fix", () => {
        beforeEach(() => registryHasTag(false));

        it("no docker command", async () => {
            const { run } = scriptedRunner(Object.assign(new Error("spawn docker ENOENT"), { code: "ENOENT" }));
            assert.equal(
                await buildFailure(run),
                `docker login to ${REGISTRY} failed: there is no docker command on this machine; ` +
                    "install Docker (https://docs.docker.com/get-docker/) with its buildx plugin, then run this again",
            );
        });

        it("no Docker daemon", async () => {
            const { run } = scriptedRunner(failed("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"));
            assert.match(await buildFailure(run), /^docker login to .* failed: the Docker daemon is not running; start Docker and run this again\n/);
        });

        it("no buildx plugin", async () => {
            const { run } = scriptedRunner(ok, failed("docker: 'buildx' is not a docker command.\nSee 'docker --help'"));
            assert.match(await buildFailure(run), /^docker buildx build failed: docker has no buildx plugin; install Docker .* with its buildx plugin/);
        });

        it("a failed build, with the end of its output", async () => {
            const output = Array.from({ length: 30 }, (_, line) => `#${line} step`).join("\n") + "\nERROR: failed to solve: process did not complete successfully";
            const { run, calls } = scriptedRunner(ok, failed(output, 17));

            const message = await buildFailure(run);

            assert.equal(calls.length, 2);
            const lines = message.split("\n");
            assert.equal(lines[0], "docker buildx build failed (exit code 17):");
            assert.equal(lines.length, 21);
            assert.equal(lines[20], "ERROR: failed to solve: process did not complete successfully");
        });

        it("a repository the stack has not created", async () => {
            ecrMock.on(DescribeImagesCommand).rejects(new RepositoryNotFoundException({ message: "The repository does not exist", $metadata: {} }));
            const { run } = scriptedRunner();
            assert.equal(await buildFailure(run), "the repository loadgen-runner does not exist in 111111111111 (eu-west-1): run pulumi up -s loadgen-eu");
        });
    });

    describe("runProcess", () => {
        it("passes stdin, and returns the exit code and the output", async () => {
            const script = "process.stdin.pipe(process.stdout); process.stdin.on('end', () => { console.error('done'); process.exitCode = 3; })";
            assert.deepEqual(await runProcess(process.execPath, ["-e", script], { cwd: REPOSITORY_ROOT, stdin: "secret" }), {
                code: 3,
                stdout: "secret",
                stderr: "done\n",
            });
        });

        it("rejects with ENOENT for a program that is not installed", async () => {
            const error = await runProcess("ecs-loadlab-no-such-program", [], { cwd: REPOSITORY_ROOT, stdin: "x" }).then(
                () => assert.fail("should not start"),
                (failure: unknown) => failure,
            );
            assert.ok(error instanceof Error && "code" in error && error.code === "ENOENT");
        });
    });
});
