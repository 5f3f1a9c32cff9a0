import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { isConfigKey } from "../config";

/**
 * The README and docs/ stay honest: every relative link and anchor resolves, every page is on the README's map
 * and leads back to it, and every npm script, stack file, stack and config key they name exists.
 */

const ROOT = path.join(__dirname, "..");
const README = "README.md";
const DOCS_DIR = "docs";
const README_MAX_LINES = 250;

interface Page {
    /** Relative to the repository root, with forward slashes: `README.md`, `docs/stacks.md`. */
    file: string;
    text: string;
    /** The text without fenced code blocks and inline code spans: what renders as prose, links included. */
    prose: string;
}

const docsPages = fs
    .readdirSync(path.join(ROOT, DOCS_DIR))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => `${DOCS_DIR}/${name}`);
const pages: Page[] = [README, ...docsPages].map((file) => {
    const text = fs.readFileSync(path.join(ROOT, file), "utf8");
    return { file, text, prose: withoutCode(text) };
});
const scripts = Object.keys((JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts);

/** Fenced code blocks (``` or ~~~) become empty lines; line numbers are kept. */
function withoutFences(markdown: string): string {
    let fence: string | undefined;
    return markdown
        .split("\n")
        .map((line) => {
            const marker = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
            if (fence !== undefined) {
                if (marker && marker[0] === fence[0] && marker.length >= fence.length && line.trim() === marker) fence = undefined;
                return "";
            }
            if (marker) fence = marker;
            return marker ? "" : line;
        })
        .join("\n");
}

/** What renders as prose: no fenced code blocks, no inline code spans. */
function withoutCode(markdown: string): string {
    return withoutFences(markdown).replace(/(`+)[^\n]*?\1/g, "");
}

/** The fenced code blocks of a page with their info string's language. */
function codeBlocks(markdown: string): { language: string; code: string }[] {
    const blocks: { language: string; code: string }[] = [];
    for (const match of markdown.matchAll(/^ {0,3}(`{3,}|~{3,})([^\n`]*)\n([\s\S]*?)^ {0,3}\1[`~]*[ \t]*$/gm)) {
        blocks.push({ language: match[2].trim().split(/\s+/)[0] ?? "", code: match[3] });
    }
    return blocks;
}

/** GitHub's anchor for a heading's text: lowercase, punctuation dropped except - and _, spaces to dashes. */
function slug(heading: string): string {
    const text = heading
        .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1") // links and images: their text
        .replace(/`/g, "")
        .replace(/<[^>]+>/g, "")
        .replace(/(\*{1,3})(\S(?:.*?\S)?)\1/g, "$2") // emphasis markers; _ only around words, not inside them
        .replace(/(?<!\w)(_{1,3})(\S(?:.*?\S)?)\1(?!\w)/g, "$2");
    return text
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, "")
        .replace(/ /g, "-");
}

/** The anchors of a page's headings, numbered as GitHub numbers repeats (`x`, `x-1`, `x-2`). */
function anchors(markdown: string): Set<string> {
    const seen = new Map<string, number>();
    const result = new Set<string>();
    for (const line of withoutFences(markdown).split("\n")) {
        const heading = /^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/.exec(line)?.[1];
        if (heading === undefined) continue;
        const base = slug(heading);
        const count = seen.get(base) ?? 0;
        seen.set(base, count + 1);
        result.add(count === 0 ? base : `${base}-${count}`);
    }
    return result;
}

/** Every link target in a page's prose: inline (`[text](target "title")`, images too) and reference definitions. */
function linkTargets(prose: string): string[] {
    const inline = [...prose.matchAll(/\]\(\s*<?([^)\s>]*)>?(?:\s+["'(][^)]*)?\)/g)].map((match) => match[1]);
    const definitions = [...prose.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?/gm)].map((match) => match[1]);
    return [...inline, ...definitions];
}

const isExternal = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//");

/** Relative links of a page, resolved against its folder: `{ file, anchor }`, file relative to the root. */
function relativeLinks(page: Page): { target: string; file: string; anchor?: string }[] {
    return linkTargets(page.prose)
        .filter((target) => target !== "" && !isExternal(target))
        .map((target) => {
            const hash = target.indexOf("#");
            const filePart = hash === -1 ? target : target.slice(0, hash);
            const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
            const file = filePart === "" ? page.file : path.posix.normalize(path.posix.join(path.posix.dirname(page.file), decodeURIComponent(filePart)));
            return { target, file, anchor };
        });
}

/** The `npm run <script>` (and `npm start`, `npm test`) a page names, in prose or code, across line breaks. */
function npmScripts(text: string): string[] {
    const named = [...text.matchAll(/\bnpm\s+run(?:-script)?(?:\s+--?[\w-]+)*\s+([\w:.-]+)/g)].map((match) => match[1]);
    const shorthands = [...text.matchAll(/\bnpm\s+(start|test)\b/g)].map((match) => match[1]);
    return [...named, ...shorthands];
}

/** The `ecs-loadlab:<key>` a page names inline, e.g. `ecs-loadlab:aws.deployRoleArn`, `ecs-loadlab:environments[0].name`. */
function inlineConfigKeys(text: string): string[] {
    return [...text.matchAll(/\becs-loadlab:([A-Za-z][\w.[\]]*)/g)].map((match) => `ecs-loadlab:${match[1].replace(/\.+$/, "")}`);
}

/** The config keys a YAML snippet sets under `ecs-loadlab:` (at its top level or under `config:`), as dotted paths. */
function yamlConfigKeys(code: string): string[] {
    const document: unknown = parseYaml(code);
    if (!isMap(document)) return [];
    const config = isMap(document.config) ? document.config : document;
    const keys: string[] = [];
    const walk = (key: string, value: unknown): void => {
        keys.push(key);
        if (Array.isArray(value)) value.filter(isMap).forEach((item) => walkMap(`${key}[0]`, item));
        else if (isMap(value)) walkMap(key, value);
    };
    const walkMap = (prefix: string, map: Record<string, unknown>) => Object.entries(map).forEach(([key, value]) => walk(`${prefix}.${key}`, value));
    for (const [key, value] of Object.entries(config)) if (key.startsWith("ecs-loadlab:")) walk(key, value);
    return keys;
}

function isMap(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Flags of `pulumi stack init|select` that take no value. */
const STACK_COMMAND_SWITCHES = new Set(["-c", "--create", "--no-select"]);

/** Stack names a `pulumi` command line names: `-s dev`, `--stack dev`, `stack init|select [flags] [org/project/]dev`. */
function stackNames(text: string): string[] {
    const names: string[] = [];
    for (const line of text.split("\n")) {
        if (!/\bpulumi\s/.test(line)) continue;
        for (const match of line.matchAll(/\s(?:-s|--stack)(?:\s+|=)([A-Za-z][\w./-]*)(?![\w./<-])/g)) names.push(match[1]);
        for (const match of line.matchAll(/\bpulumi\s+stack\s+(?:init|select)\s+([^#`|;&]*)/g)) {
            const words = match[1].trim().split(/\s+/);
            for (let i = 0; i < words.length; i++) {
                const word = words[i];
                if (word.startsWith("-")) {
                    if (!STACK_COMMAND_SWITCHES.has(word) && !word.includes("=")) i++; // the flag's value
                } else {
                    if (/^[A-Za-z][\w./-]*$/.test(word)) names.push(word);
                    break;
                }
            }
        }
    }
    return names.map((name) => name.split("/").pop() as string);
}

/** `Pulumi.<name>.yaml` file names a page names (placeholders such as `Pulumi.<stack>.yaml` are not names). */
function stackFiles(text: string): string[] {
    return [...text.matchAll(/\bPulumi\.([\w-]+)\.yaml\b/g)].map((match) => match[0]);
}

const unique = <T>(items: T[]) => [...new Set(items)];

describe("documentation", () => {
    describe("the checker itself", () => {
        it("slugs headings as GitHub does", () => {
            assert.equal(slug("Release flow: build, promote, roll back"), "release-flow-build-promote-roll-back");
            assert.equal(slug("`-e` variables"), "-e-variables");
            assert.equal(slug("Running locally against `npm start`"), "running-locally-against-npm-start");
            assert.equal(slug("Step 3: **bootstrap** each account (once)"), "step-3-bootstrap-each-account-once");
            assert.equal(slug("snake_case and _emphasis_"), "snake_case-and-emphasis");
            assert.deepEqual([...anchors("# A\n## B\n```\n# not a heading\n```\n## B\n### B")], ["a", "b", "b-1", "b-2"]);
            assert.deepEqual([...anchors("## Running against `npm start`")], ["running-against-npm-start"]);
        });

        it("finds the links of the prose, not those in code", () => {
            const prose = withoutCode('[a](x.md) `[b](y.md)` [c](z.md#top "title") <https://example.com>\n```\n[d](w.md)\n```\n[e](#here)\n[f]: ../f.md');
            assert.deepEqual(linkTargets(prose), ["x.md", "z.md#top", "#here", "../f.md"]);
        });

        it("finds the npm scripts, stacks, stack files and config keys a page names", () => {
            assert.deepEqual(npmScripts("`npm run\nbench:summary` and npm run --silent promote -- x; npm test, npm start"), [
                "bench:summary",
                "promote",
                "test",
                "start",
            ]);
            assert.deepEqual(stackNames("pulumi up -s dev\npulumi up -s bootstrap-<account>\npulumi stack select --create acme/ecs-loadlab/shared\npulumi stack init bootstrap-dev --secrets-provider 'awskms://x'\n-s loadgen"), [
                "dev",
                "shared",
                "bootstrap-dev",
            ]);
            assert.deepEqual(stackFiles("Pulumi.yaml, Pulumi.dev.yaml and Pulumi.<stack>.yaml"), ["Pulumi.dev.yaml"]);
            assert.deepEqual(inlineConfigKeys("set `ecs-loadlab:aws.region`. And ecs-loadlab:environments[0].name."), [
                "ecs-loadlab:aws.region",
                "ecs-loadlab:environments[0].name",
            ]);
            assert.deepEqual(yamlConfigKeys("config:\n  ecs-loadlab:role: shared\n  aws:region: x\n  ecs-loadlab:environments:\n    - name: dev\n"), [
                "ecs-loadlab:role",
                "ecs-loadlab:environments",
                "ecs-loadlab:environments[0].name",
            ]);
        });
    });

    it(`the README stays a front door: under ${README_MAX_LINES} lines, with the test command CI runs`, () => {
        const readme = pages[0].text;
        const lines = readme.replace(/\n$/, "").split("\n").length;
        assert.ok(lines < README_MAX_LINES, `README.md has ${lines} lines`);
        assert.ok(readme.includes("npm test"), "README.md does not say `npm test`");
    });

    for (const page of pages) {
        describe(page.file, () => {
            it("every relative link resolves to a file, and every anchor to a heading of it", () => {
                const broken: string[] = [];
                for (const link of relativeLinks(page)) {
                    const target = path.join(ROOT, link.file);
                    if (!fs.existsSync(target)) {
                        broken.push(`${link.target}: no such file ${link.file}`);
                    } else if (link.anchor !== undefined) {
                        if (!link.file.endsWith(".md")) continue;
                        if (!anchors(fs.readFileSync(target, "utf8")).has(link.anchor)) broken.push(`${link.target}: ${link.file} has no heading #${link.anchor}`);
                    }
                }
                assert.deepEqual(broken, []);
            });

            it("every npm script it names exists in package.json", () => {
                assert.deepEqual(
                    unique(npmScripts(page.text)).filter((script) => !scripts.includes(script)),
                    [],
                );
            });

            it("every stack file it names, and every stack a pulumi command names, has its file at the repository root", () => {
                const named = unique([...stackFiles(page.text), ...stackNames(page.text).map((stack) => `Pulumi.${stack}.yaml`)]);
                assert.deepEqual(
                    named.filter((file) => !fs.existsSync(path.join(ROOT, file))),
                    [],
                );
            });

            it("every ecs-loadlab config key it names, inline or in a YAML snippet, is in the config schema", () => {
                const keys = [...inlineConfigKeys(page.text)];
                for (const block of codeBlocks(page.text)) {
                    if (block.language === "yaml" || block.language === "yml") keys.push(...yamlConfigKeys(block.code));
                }
                assert.deepEqual(
                    unique(keys).filter((key) => !isConfigKey(key)),
                    [],
                );
            });
        });
    }

    describe("the map", () => {
        const readmeLinks = relativeLinks(pages[0]).map((link) => link.file);
        for (const page of pages.slice(1)) {
            it(`${page.file} is on the README's map and links back to the README`, () => {
                assert.ok(readmeLinks.includes(page.file), `README.md does not link to ${page.file}`);
                const back = relativeLinks(page).some((link) => link.file === README);
                assert.ok(back, `${page.file} does not link back to README.md`);
            });
        }
    });
});
