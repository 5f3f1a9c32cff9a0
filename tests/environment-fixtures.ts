import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { EnvironmentStackConfig, loadStackConfigFile, parseStackConfig, PROJECT, StackConfig } from "../config";

/** Every shipped stack file (`Pulumi.<stack>.yaml` at the repository root), sorted. */
export const STACK_FILES = readdirSync(".")
    .filter((file) => /^Pulumi\.[\w-]+\.yaml$/.test(file))
    .sort();

/** The shipped stack files whose role is one of these, sorted, so a new file is tested without being listed. */
export function stackFilesOfRole(...roles: StackConfig["role"][]): string[] {
    return STACK_FILES.filter((file) => roles.includes(loadStackConfigFile(file).role));
}

export const ENVIRONMENT_STACK_FILES = stackFilesOfRole("environment");

export function loadEnvironmentConfig(file: string): EnvironmentStackConfig {
    return asEnvironment(loadStackConfigFile(file), file);
}

/** A stack file's config with some keys of some sections replaced, validated as the stack would validate it. */
export function stackConfigWith(file: string, overrides: Record<string, Record<string, unknown>>): StackConfig {
    const document = parseYaml(readFileSync(file, "utf8")) as { config: Record<string, unknown> };
    const raw: Record<string, unknown> = Object.fromEntries(
        Object.entries(document.config).map(([key, value]) => [key.slice(`${PROJECT}:`.length), value]),
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
