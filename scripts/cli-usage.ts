/**
 * What the command lines of the project's tools share, so that they all answer the same way: -h/--help wherever it
 * is given; options checked before anything else, with one wording for an unknown option (and the known one it is
 * nearest to), a missing value and a value that looks like an option; and a refusal that prints the problem with one
 * usage line, the synopsis of the subcommand or mode the command line is for, rather than the whole usage.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";

export type OptionsConfig = NonNullable<ParseArgsConfig["options"]>;
type StrictConfig<O extends OptionsConfig> = { args: string[]; options: O; allowPositionals: true; strict: true };
export type ParsedCommandLine<O extends OptionsConfig> = ReturnType<typeof parseArgs<StrictConfig<O>>>;
type OptionToken = Extract<NonNullable<ReturnType<typeof parseArgs>["tokens"]>[number], { kind: "option" }>;

/** A command line that cannot be used as given: exit 2, with the problem and one usage line (usageErrorText). */
export class UsageError extends Error {}

/** A tool's usage, as --help prints it. */
export interface CommandUsage {
    /** What is typed before the arguments, as each synopsis in `text` begins, e.g. "npm run timeline --". */
    command: string;
    /** "Usage:", then one synopsis per subcommand or mode ("  <command> ...", continued on lines that begin with "["), then the options. */
    text: string;
}

/** Help is every tool's, whatever else the command line holds: -h, --help. */
const HELP = ["help", "h"];

/**
 * The command line as node:util parseArgs reads it (strict, positionals allowed), or "help"; any other problem
 * with an option is a UsageError, worded here for every tool.
 */
export function parseCommandLine<O extends OptionsConfig>(argv: readonly string[], options: O): ParsedCommandLine<O> | "help" {
    const args = [...argv];
    // Tokens first, without strict checks, to find help and to word each problem with what was typed.
    const given = (parseArgs({ args, options, allowPositionals: true, strict: false, tokens: true }).tokens ?? []).filter(
        (token): token is OptionToken => token.kind === "option",
    );
    if (given.some((token) => HELP.includes(token.name))) return "help";
    for (const token of given) {
        const problem = optionProblem(token, args[token.index], options);
        if (problem !== undefined) throw new UsageError(problem);
    }
    return parseArgs({ args, options, allowPositionals: true, strict: true });
}

/** What is wrong with one option as given (`typed`: the argument it came from), if anything. */
function optionProblem(token: OptionToken, typed: string, options: OptionsConfig): string | undefined {
    const option = Object.hasOwn(options, token.name) ? options[token.name] : undefined;
    // An unknown letter of "-stack" is reported as "-stack", the option the user meant.
    if (option === undefined) return unknownOption(typed.split("=")[0], [...Object.keys(options), "help"]);
    if (option.type === "boolean") return token.inlineValue ? `${token.rawName} takes no value: give it alone, not ${typed}` : undefined;
    if (token.value === undefined) return `${token.rawName} needs a value`;
    if (!token.inlineValue && token.value.length > 1 && token.value.startsWith("-")) {
        return `${token.rawName} needs a value, not ${token.value} (a value that starts with "-" goes after "=": --${token.name}=${token.value})`;
    }
    return undefined;
}

/** "unknown option --stak: did you mean --stack?" */
function unknownOption(typed: string, known: readonly string[]): string {
    const near = nearest(typed.replace(/^-+/, ""), known);
    return `unknown option ${typed}${near.length === 0 ? "" : `: did you mean ${oneOf(near.map((name) => `--${name}`))}?`}`;
}

/**
 * The candidates nearest to `word` by edit distance (letters added, removed, changed or swapped), when near enough
 * to be a slip of the keyboard: a third of its letters, at least one. None otherwise.
 */
export function nearest(word: string, candidates: readonly string[]): string[] {
    const distances = candidates.map((candidate) => editDistance(word.toLowerCase(), candidate.toLowerCase()));
    const best = Math.min(...distances);
    return best > Math.max(1, Math.floor(word.length / 3)) ? [] : candidates.filter((_, index) => distances[index] === best);
}

/** Optimal string alignment distance: Levenshtein's, with two swapped neighbours costing one. */
function editDistance(a: string, b: string): number {
    const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
    for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) {
            d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
            if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[a.length][b.length];
}

/** "a", "a or b", "a, b or c". */
export function oneOf(words: readonly string[]): string {
    return words.length < 2 ? words.join("") : `${words.slice(0, -1).join(", ")} or ${words.at(-1)}`;
}

/** How messages name an option: by its short form when it has one (-e), else --name. */
function optionLabel(name: string, options: OptionsConfig): string {
    const short = options[name]?.short;
    return short === undefined ? `--${name}` : `-${short}`;
}

/**
 * Refuses the options a subcommand or mode does not take, rather than ignoring them, naming the ones that take each:
 * "simulate does not take --summary (for observe)". `takes` lists the options of every subcommand or mode.
 */
export function refuseOptionsOf<K extends string>(mode: string, given: readonly K[], takes: Readonly<Record<string, readonly K[]>>, options: OptionsConfig): void {
    const refused = given.filter((name) => !takes[mode].includes(name));
    if (refused.length === 0) return;
    const described = refused.map((name) => {
        const takers = Object.keys(takes).filter((other) => other !== mode && takes[other].includes(name));
        return `${optionLabel(name, options)}${takers.length === 0 ? "" : ` (for ${oneOf(takers)})`}`;
    });
    throw new UsageError(`${mode} does not take ${described.join(", ")}`);
}

/** Refuses arguments a command does not take. */
export function refuseArguments(positionals: readonly string[]): void {
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
}

interface Synopsis {
    /** Its first word after the command: a subcommand or a mode's option, or a placeholder such as <from>. */
    word: string;
    line: string;
    continued: boolean;
}

function synopses({ command, text }: CommandUsage): Synopsis[] {
    const lines = text.split("\n").map((line) => line.trim());
    return lines.flatMap((line, index) =>
        line.startsWith(`${command} `) ? [{ word: line.slice(command.length + 1).split(" ")[0], line, continued: lines[index + 1]?.startsWith("[") ?? false }] : [],
    );
}

/**
 * The one usage line for a command line: the synopsis of the subcommand or mode it names (the first of argv's words
 * that begins a synopsis), else the first synopsis, and where to find the rest.
 */
function usageLine(usage: CommandUsage, argv: readonly string[]): string {
    const all = synopses(usage);
    const words = new Set(all.map((synopsis) => synopsis.word));
    const word = argv.map((arg) => arg.split("=")[0]).find((arg) => words.has(arg));
    const { line, continued } = all.find((synopsis) => synopsis.word === word) ?? all[0];
    return `usage: ${line}${continued ? " ..." : ""} (${usage.command} --help for all options)`;
}

/** What a refused command line prints: the problem, then its one usage line. */
export function usageErrorText(problem: string, usage: CommandUsage, argv: readonly string[]): string {
    return `${problem}\n${usageLine(usage, argv)}`;
}

/**
 * For a tool whose only effects come after its command line: the parsed command line, or its usage on stdout and
 * exit 0 for --help, or the problem and one usage line on stderr and exit 2. `check` refuses what parsing alone
 * cannot (throwing UsageError).
 */
export function commandLineOrExit<O extends OptionsConfig, T>(
    argv: readonly string[],
    options: O,
    usage: CommandUsage,
    check: (parsed: ParsedCommandLine<O>) => T,
): T {
    try {
        const parsed = parseCommandLine(argv, options);
        if (parsed === "help") {
            console.log(usage.text);
            process.exit(0);
        }
        return check(parsed);
    } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        console.error(usageErrorText(error.message, usage, argv));
        process.exit(2);
    }
}
