import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { EnvironmentStackConfig, loadStackConfigFile, parseStackConfig, PROJECT, SharedStackConfig, StackConfig } from "../config";

/**
 * The folder the tests read the stack files from (`Pulumi.<stack>.yaml`, with each stack's policy pack config in
 * `policy/config/<stack>.json` under it, as in the repository): the repository root, or the folder this environment
 * variable names. tests/real-values.test.ts points it at a copy with other account ids, organization, domain and
 * region, so every test that reads a stack file goes through this module and derives what it expects from the file.
 * A test fixture setting: no shipped code reads it.
 */
export const STACK_FILES_DIR_VARIABLE = "ECS_LOADLAB_STACK_FILES_DIR";

export const REPO_ROOT = path.join(__dirname, "..");

export const STACK_FILES_DIR = path.resolve(process.env[STACK_FILES_DIR_VARIABLE] || REPO_ROOT);

/** Every stack file (`Pulumi.<stack>.yaml`) of the stack files' folder, by name, sorted. */
export const STACK_FILES = readdirSync(STACK_FILES_DIR)
    .filter((file) => /^Pulumi\.[\w-]+\.yaml$/.test(file))
    .sort();

/** Where a stack file, named as in STACK_FILES (`Pulumi.dev.yaml`), is. */
export function stackFilePath(file: string): string {
    assert.equal(path.basename(file), file, `${file}: name a stack file, not a path`);
    return path.join(STACK_FILES_DIR, file);
}

/** `Pulumi.dev.yaml` → `dev`. */
export const stackName = (file: string): string => file.replace(/^Pulumi\.|\.yaml$/g, "");

/** The policy pack configs' folder, beside the stack files. */
export const POLICY_CONFIG_DIR = path.join(STACK_FILES_DIR, "policy", "config");

/** Where a stack file's policy pack config is: `policy/config/<stack>.json` beside it. */
export function policyConfigPath(file: string): string {
    return path.join(POLICY_CONFIG_DIR, `${stackName(file)}.json`);
}

/** A stack file, by name, read and validated as the stacks read it. */
export function loadStackFile(file: string): StackConfig {
    return loadStackConfigFile(stackFilePath(file));
}

/** A stack file's `config` section as written, keys with their `ecs-loadlab:` namespace, nothing validated or defaulted. */
export function rawStackFile(file: string): Record<string, unknown> {
    return (parseYaml(readFileSync(stackFilePath(file), "utf8")) as { config: Record<string, unknown> }).config;
}

/** The stack files whose role is one of these, sorted, so a new file is tested without being listed. */
export function stackFilesOfRole(...roles: StackConfig["role"][]): string[] {
    return STACK_FILES.filter((file) => roles.includes(loadStackFile(file).role));
}

export const ENVIRONMENT_STACK_FILES = stackFilesOfRole("environment");

/** The shared stack's config (Pulumi.shared.yaml): the registry's account, region and repository, the workload accounts. */
export function loadSharedConfig(file = "Pulumi.shared.yaml"): SharedStackConfig {
    const config = loadStackFile(file);
    assert.equal(config.role, "shared", `${file} is the shared stack`);
    return config;
}

export function loadEnvironmentConfig(file: string): EnvironmentStackConfig {
    return asEnvironment(loadStackFile(file), file);
}

/** A stack file's config with some keys of some sections replaced, validated as the stack would validate it. */
export function stackConfigWith(file: string, overrides: Record<string, Record<string, unknown>>): StackConfig {
    const raw: Record<string, unknown> = Object.fromEntries(
        Object.entries(rawStackFile(file)).map(([key, value]) => [key.slice(`${PROJECT}:`.length), value]),
    );
    for (const [section, values] of Object.entries(overrides)) raw[section] = { ...(raw[section] as object), ...values };
    return parseStackConfig(raw, file);
}

export function environmentConfigWith(file: string, overrides: Record<string, Record<string, unknown>>): EnvironmentStackConfig {
    return asEnvironment(stackConfigWith(file, overrides), file);
}

function asEnvironment(config: StackConfig, file: string): EnvironmentStackConfig {
    assert.equal(config.role, "environment", `${file} is an environment stack`);
    return config;
}
