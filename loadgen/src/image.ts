/**
 * The runner image: what it is built from and the tag that names it. The tag is a hash of everything that goes into
 * the image, so the loadgen stack (which puts `<repository>:<tag>` in its task definition), `npm run loadtest --
 * build-image` (which pushes it, or skips the build when the tag is already there) and `npm run loadtest` (which
 * checks the deployed task definition runs this checkout's runner) compute the same name from the same files.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, sep } from "node:path";

/**
 * k6 is copied from the official image, pinned by digest: the multi-arch index of grafana/k6 2.2.0 (linux/amd64 and
 * arm64; k6 at /usr/bin/k6). The command refuses a run whose local k6 has another major version.
 */
export const K6_IMAGE = "grafana/k6:2.2.0@sha256:9bd01d6941fca969cb61bb57d2da5ee9b385fe2aa8881df3798c196564d6ace6";

/** The runner's base, as the service's: Node 22 on Debian slim. */
export const NODE_IMAGE = "node:22-bookworm-slim";

/** The runner package's directory (this file lives in its src/). */
export const LOADGEN_DIR = join(__dirname, "..");

/** The files the image is built from, relative to the package: its manifest, TypeScript configs, Dockerfile and sources. */
export function runnerSourceFiles(packageDir: string = LOADGEN_DIR): string[] {
    const sources = readdirSync(join(packageDir, "src"), { recursive: true, encoding: "utf8" })
        .filter((file) => file.endsWith(".ts"))
        .map((file) => join("src", file));
    return ["package.json", "tsconfig.json", "tsconfig.build.json", "Dockerfile", ...sources].sort();
}

/** `runner-<16 hex>`: the image tag for these sources and base images. */
export function runnerImageTag(packageDir: string = LOADGEN_DIR): string {
    const hash = createHash("sha256");
    hash.update(`${K6_IMAGE}\n${NODE_IMAGE}\n`);
    for (const file of runnerSourceFiles(packageDir)) {
        // Path separators normalised so that the tag does not depend on the platform that computes it.
        hash.update(`${file.split(sep).join("/")}\n`);
        hash.update(readFileSync(join(packageDir, file)));
    }
    return `runner-${hash.digest("hex").slice(0, 16)}`;
}
