/**
 * A stack file read as the stacks read it (config/index.ts loadStackConfigFile), for a command that needs one role:
 * an invalid config, an unreadable file and a file of another role each refused in the command's own words and with
 * its own kind of error. Shared by the tools in scripts/ that read stack files (promote, loadtest, timeline).
 */
import { ConfigError, StackConfig, loadStackConfigFile } from "../config";

export type StackRole = StackConfig["role"];

/** How a command words a stack file it cannot use. */
export interface StackFileWording {
    /** The file cannot be read: missing (code ENOENT), or another failure. */
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
        throw fail(wording.unreadable(error as NodeJS.ErrnoException));
    }
    if (config.role !== role) throw fail(wording.otherRole(config.role));
    return config as Extract<StackConfig, { role: R }>;
}

/** "a" or "an", for a role named in a message. */
export const article = (word: string) => (/^[aeiou]/.test(word) ? "an" : "a");
