/**
 * Stacks as the tools in scripts/ (promote, loadtest, timeline) take them: by name, as Pulumi's `-s` does, or by
 * their stack file, resolved to both (resolveStack); and a stack file read as the stacks read it (config/index.ts
 * loadStackConfigFile), for a command that needs one role: a missing file named with the stacks of that role that
 * exist, an invalid config, an unreadable file and a file of another role each refused with the command's kind of error.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigError, PROJECT, StackConfig, loadStackConfigFile } from "../config";
import { nearest, oneOf } from "./cli-usage";

export type StackRole = StackConfig["role"];

/** The project: Pulumi.yaml and the stack files beside it. */
export const PROJECT_DIR = path.join(__dirname, "..");

/** A stack as a command line gave it. */
export interface StackRef {
    /**
     * What `pulumi -s` takes: the name given (dev, org/dev, org/ecs-loadlab/dev), or the one a stack file's name
     * carries (Pulumi.dev.yaml → dev); none for a file not named Pulumi.<stack>.yaml.
     */
    name?: string;
    /** Its stack file: the path given, or Pulumi.<stack>.yaml in the project for a name. */
    file: string;
}

/** Pulumi names a stack's file after the stack's own name (the last part of org/project/name): Pulumi.<name>.yaml. */
const STACK_FILE_NAME = /^Pulumi\.(.+)\.ya?ml$/;
/** A part of a stack name: letters, digits, -, _ and . (Pulumi's rule), but not a folder's "." or "..". */
const NAME_PART = /^(?!\.\.?$)[\w.-]+$/;

/** `Pulumi.dev.yaml` → `dev`: the Pulumi stack a stack file configures. */
export function pulumiStackName(stackFile: string): string | undefined {
    return STACK_FILE_NAME.exec(path.basename(stackFile))?.[1];
}

/**
 * A stack given by name (`dev`, `org/dev`, `org/ecs-loadlab/dev`, as `pulumi -s` takes it: its file is
 * Pulumi.<last part>.yaml in `dir`) or by its file's path (anything ending in .yaml or .yml). Reads nothing: a
 * missing file is for its reader to say (readStackFileOfRole).
 */
export function resolveStack(given: string, fail: (message: string) => Error, dir = PROJECT_DIR): StackRef {
    if (/\.ya?ml$/.test(given)) {
        const name = pulumiStackName(given);
        return name === undefined ? { file: given } : { name, file: given };
    }
    const parts = given.split("/");
    if (parts.length > 3 || !parts.every((part) => NAME_PART.test(part))) {
        throw fail(`"${given}" is neither a stack's name (dev, org/dev or org/${PROJECT}/dev, as pulumi -s takes it) nor a stack file's path (Pulumi.<stack>.yaml)`);
    }
    if (parts.length === 3 && parts[1] !== PROJECT) throw fail(`${given} is a stack of project ${parts[1]}, not of this one (${PROJECT})`);
    return { name: given, file: path.join(dir, `Pulumi.${parts.at(-1)}.yaml`) };
}

/**
 * The name of a stack of the project in `dir`, given by name or by its file, for a command that reads the stack
 * with Pulumi there: a stack file anywhere else (another project's) is refused, rather than its name taken for
 * this project's stack of that name.
 */
export function projectStackName(given: string, fail: (message: string) => Error, dir = PROJECT_DIR): string {
    const { name, file } = resolveStack(given, fail, dir);
    if (name === undefined) throw fail(`${given} is not named Pulumi.<stack>.yaml: pass the stack's name`);
    const own = resolveStack(name, fail, dir).file;
    if (path.resolve(file) !== own) throw fail(`${given} is not in this project (${dir}): stack ${name} is read with Pulumi there, configured by its ${path.basename(own)}: pass ${name}`);
    return name;
}

/** A file as messages show it: from the current folder when it is under it, else in full. */
function shown(file: string): string {
    const relative = path.relative(process.cwd(), file);
    return relative.startsWith("..") || path.isAbsolute(relative) ? file : relative;
}

/** What a command prints as it reads a stack's file, so that a name is seen to mean its file: "stack dev: reading Pulumi.dev.yaml". */
export function readingLine({ name, file }: StackRef): string {
    return name === undefined ? `reading stack file ${shown(file)}` : `stack ${name}: reading ${shown(file)}`;
}

/** The stacks in `dir` whose file configures `role` (files that do not validate are left out). */
function stacksOfRole(dir: string, role: StackRole): string[] {
    let files: string[];
    try {
        files = fs.readdirSync(dir);
    } catch {
        return [];
    }
    return files.sort().flatMap((file) => {
        const name = pulumiStackName(file);
        try {
            return name !== undefined && loadStackConfigFile(path.join(dir, file)).role === role ? [name] : [];
        } catch {
            return [];
        }
    });
}

/** A stack file that does not exist, with the stacks of the role wanted that do (and the nearest of them). */
function missingStackFile(file: string, role: StackRole): string {
    const dir = path.dirname(path.resolve(file));
    const stacks = stacksOfRole(dir, role);
    const near = nearest(pulumiStackName(file) ?? path.basename(file), stacks);
    return (
        `stack file ${shown(file)} does not exist: pass ${article(role)} ${role} stack file or stack name` +
        (near.length === 0 ? "" : ` (did you mean ${oneOf(near)}?)`) +
        (stacks.length === 0 ? `; ${dir} has no ${role} stack file (Pulumi.<stack>.yaml)` : `; the ${role} stacks in ${dir}: ${stacks.join(", ")}`)
    );
}

/** How a command words a stack file it cannot use (a missing one is worded the same for every command). */
export interface StackFileWording {
    /** The file exists but cannot be read. */
    unreadable(error: NodeJS.ErrnoException): string;
    /** The file configures a stack of another role. */
    otherRole(role: StackRole): string;
}

export function readStackFileOfRole<R extends StackRole>(
    file: string,
    role: R,
    wording: StackFileWording,
    fail: (message: string) => Error,
): Extract<StackConfig, { role: R }> {
    let config: StackConfig;
    try {
        config = loadStackConfigFile(file);
    } catch (error) {
        if (error instanceof ConfigError) throw fail(error.message);
        const code = (error as NodeJS.ErrnoException).code;
        throw fail(code === "ENOENT" ? missingStackFile(file, role) : wording.unreadable(error as NodeJS.ErrnoException));
    }
    if (config.role !== role) throw fail(wording.otherRole(config.role));
    return config as Extract<StackConfig, { role: R }>;
}

/** "a" or "an", for a role named in a message. */
export const article = (word: string) => (/^[aeiou]/.test(word) ? "an" : "a");
