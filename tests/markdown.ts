/** Reading the README and docs/ as their readers' shells would: code blocks and shell words. */

/** The fenced code blocks of a page with their info string's language. */
export function codeBlocks(markdown: string): { language: string; code: string }[] {
    const blocks: { language: string; code: string }[] = [];
    for (const match of markdown.matchAll(/^ {0,3}(`{3,}|~{3,})([^\n`]*)\n([\s\S]*?)^ {0,3}\1[`~]*[ \t]*$/gm)) {
        blocks.push({ language: match[2].trim().split(/\s+/)[0] ?? "", code: match[3] });
    }
    return blocks;
}

/** A shell line's words, quotes removed, up to an unquoted `#`: `a "b c" 'd' # e` → `a`, `b c`, `d`. */
export function shellWords(line: string): string[] {
    const words: string[] = [];
    for (const match of line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) {
        if (match[3]?.startsWith("#")) break;
        words.push(match[1] ?? match[2] ?? match[3]);
    }
    return words;
}

/** What separates one shell command from the next on a line. */
export const SHELL_SEPARATORS = new Set(["&&", "||", ";", "|"]);

/** A line's commands, each as its words: `a b && c | d` → [a, b], [c], [d]. */
export function shellCommands(line: string): string[][] {
    const commands: string[][] = [[]];
    for (const word of shellWords(line)) {
        if (SHELL_SEPARATORS.has(word)) commands.push([]);
        else commands[commands.length - 1].push(word);
    }
    return commands;
}

/** A code block's commands: lines joined where they end in a backslash. */
export function commandLines(code: string): string[] {
    return code.replace(/\\\n\s*/g, " ").split("\n").filter((line) => line.trim() !== "");
}
