import { spawn } from "node:child_process";
import { join } from "node:path";
import {
    DescribeImagesCommand,
    ECRClient,
    GetAuthorizationTokenCommand,
    ImageNotFoundException,
    RepositoryNotFoundException,
} from "@aws-sdk/client-ecr";
import { LoadgenStackOutputs } from "../../loadgen/src/contract";
import { K6_IMAGE, LOADGEN_DIR, NODE_IMAGE, runnerImageTag } from "../../loadgen/src/image";

/**
 * `npm run loadtest -- build-image --stack <name>`: builds the runner image (loadgen/Dockerfile) for linux/amd64, the
 * only architecture Fargate Spot runs, and pushes it to the loadgen stack's repository under the tag that names its
 * sources, unless that tag is already there. The plan (which docker commands) is pure; buildRunnerImage runs it.
 */

/** The repository root: the Docker build context, since the runner's image needs the root package-lock.json. */
export const REPOSITORY_ROOT = join(LOADGEN_DIR, "..");

const DOCKER = "docker";
const INSTALL_DOCKER = "install Docker (https://docs.docker.com/get-docker/) with its buildx plugin, then run this again";

export interface ProcessResult {
    code: number;
    stdout: string;
    stderr: string;
}

export interface RunOptions {
    cwd: string;
    /** Written to the process's standard input, then closed. */
    stdin?: string;
    /** Also copy the process's output to ours as it comes (a build takes minutes). */
    echo?: boolean;
}

/** Runs a program to its end; rejects when it cannot be started (ENOENT: not installed). */
export type ProcessRunner = (command: string, args: readonly string[], options: RunOptions) => Promise<ProcessResult>;

export interface BuildPlan {
    /** `<repository URL>:<runner image tag>`. */
    image: string;
    tag: string;
    registry: string;
    /** docker arguments; the password goes to standard input, never into the arguments. */
    login: string[];
    build: string[];
}

export interface BuildImageArgs {
    /** The loadgen stack's name, for the advice to update it. */
    stack: string;
    outputs: LoadgenStackOutputs;
    ecr: ECRClient;
    run: ProcessRunner;
    log: (line: string) => void;
}

export interface BuildImageResult {
    image: string;
    outcome: "already-pushed" | "pushed";
    /** Whether the stack's task definition already runs this image. */
    taskDefinitionCurrent: boolean;
}

/** An expected failure with a message for the user: the command prints it without a stack trace. */
export class BuildImageError extends Error {
    override readonly name = "BuildImageError";
}

export function planRunnerImageBuild(outputs: LoadgenStackOutputs, tag: string): BuildPlan {
    const image = `${outputs.repositoryUrl}:${tag}`;
    const registry = outputs.repositoryUrl.slice(0, outputs.repositoryUrl.indexOf("/"));
    return {
        image,
        tag,
        registry,
        login: ["login", "--username", "AWS", "--password-stdin", registry],
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
            image,
            "--push",
            ".",
        ],
    };
}

/** The advice when the deployed task definition runs another image than this checkout's, else undefined. */
export function taskDefinitionAdvice(outputs: LoadgenStackOutputs, image: string, stack: string): string | undefined {
    if (outputs.runnerImage === image) return undefined;
    return `the task definition of ${stack} runs ${outputs.runnerImage}, not ${image}: run pulumi up -s ${stack} so the task definition runs this image`;
}

export async function imageExists(ecr: ECRClient, outputs: LoadgenStackOutputs, tag: string, stack: string): Promise<boolean> {
    try {
        const response = await ecr.send(
            new DescribeImagesCommand({ registryId: outputs.accountId, repositoryName: outputs.repositoryName, imageIds: [{ imageTag: tag }] }),
        );
        return (response.imageDetails ?? []).length > 0;
    } catch (error) {
        if (error instanceof ImageNotFoundException) return false;
        if (error instanceof RepositoryNotFoundException) {
            const where = `${outputs.accountId} (${outputs.region})`;
            throw new BuildImageError(`the repository ${outputs.repositoryName} does not exist in ${where}: run pulumi up -s ${stack}`);
        }
        throw error;
    }
}

/** The registry password: GetAuthorizationToken's token is base64 of `AWS:<password>`. */
async function registryPassword(ecr: ECRClient): Promise<string> {
    const response = await ecr.send(new GetAuthorizationTokenCommand({}));
    const token = response.authorizationData?.[0]?.authorizationToken;
    if (!token) throw new BuildImageError("ECR returned no authorization token");
    const credentials = Buffer.from(token, "base64").toString("utf8");
    return credentials.slice(credentials.indexOf(":") + 1);
}

function lastLines(text: string, count = 20): string {
    return text.trimEnd().split("\n").slice(-count).join("\n");
}

/** What to do about a docker command that exited non-zero, from what docker said. */
function dockerFailure(step: string, result: ProcessResult): BuildImageError {
    const output = lastLines(result.stderr || result.stdout);
    if (/Cannot connect to the Docker daemon/.test(output)) {
        return new BuildImageError(`${step} failed: the Docker daemon is not running; start Docker and run this again\n${output}`);
    }
    if (/'buildx' is not a docker command/.test(output)) {
        return new BuildImageError(`${step} failed: docker has no buildx plugin; ${INSTALL_DOCKER}\n${output}`);
    }
    return new BuildImageError(`${step} failed (exit code ${result.code}):\n${output}`);
}

async function runDocker(run: ProcessRunner, step: string, args: string[], options: Omit<RunOptions, "cwd">): Promise<void> {
    let result: ProcessResult;
    try {
        result = await run(DOCKER, args, { cwd: REPOSITORY_ROOT, ...options });
    } catch (error) {
        if (error instanceof Error && "code" in error && error.code === "ENOENT") {
            throw new BuildImageError(`${step} failed: there is no docker command on this machine; ${INSTALL_DOCKER}`);
        }
        throw error;
    }
    if (result.code !== 0) throw dockerFailure(step, result);
}

export async function buildRunnerImage({ stack, outputs, ecr, run, log }: BuildImageArgs): Promise<BuildImageResult> {
    const plan = planRunnerImageBuild(outputs, runnerImageTag());
    const alreadyPushed = await imageExists(ecr, outputs, plan.tag, stack);
    if (alreadyPushed) {
        log(`${plan.image} is already in ${outputs.repositoryName}: nothing to build.`);
    } else {
        log(`Building and pushing ${plan.image} (linux/amd64) ...`);
        await runDocker(run, `docker login to ${plan.registry}`, plan.login, { stdin: await registryPassword(ecr) });
        await runDocker(run, "docker buildx build", plan.build, { echo: true });
        log(`Pushed ${plan.image}.`);
    }
    const advice = taskDefinitionAdvice(outputs, plan.image, stack);
    if (advice) log(advice);
    return { image: plan.image, outcome: alreadyPushed ? "already-pushed" : "pushed", taskDefinitionCurrent: advice === undefined };
}

/** The ProcessRunner of the real command: spawns the program directly (no shell), so arguments are never re-parsed. */
export const runProcess: ProcessRunner = (command, args, { cwd, stdin, echo = false }) =>
    new Promise((resolve, reject) => {
        const child = spawn(command, args, { cwd, stdio: ["pipe", "pipe", "pipe"] });
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        child.stdout.on("data", (chunk: Buffer) => {
            stdout.push(chunk);
            if (echo) process.stdout.write(chunk);
        });
        child.stderr.on("data", (chunk: Buffer) => {
            stderr.push(chunk);
            if (echo) process.stderr.write(chunk);
        });
        // A program that never started (or exits before reading) closes its input: that is reported by "error" or its exit code.
        child.stdin.on("error", () => undefined);
        child.on("error", reject);
        child.on("close", (code) =>
            resolve({
                code: code ?? 1,
                stdout: Buffer.concat(stdout).toString("utf8"),
                stderr: Buffer.concat(stderr).toString("utf8"),
            }),
        );
        child.stdin.end(stdin ?? "");
    });
