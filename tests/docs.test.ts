import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { isConfigKey } from "../config";
import { estimateFargateCost } from "../scripts/loadtest/pricing";
import { ENVIRONMENT_STACK_FILES, loadEnvironmentConfig, stackFilePath, stackName } from "./environment-fixtures";
import { SHELL_SEPARATORS, codeBlocks, shellWords } from "./markdown";

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

/**
 * The folders of `pulumi login file://<folder>` in a code block that no earlier `mkdir -p <folder>` of the same block
 * creates: `pulumi login` of a local backend fails when its folder does not exist.
 */
function loginsWithoutMkdir(code: string): string[] {
    const made = new Set<string>();
    const missing: string[] = [];
    const folder = (word: string) => word.replace(/(.)\/+$/, "$1");
    for (const line of code.split("\n")) {
        const words = shellWords(line);
        for (let i = 0; i < words.length; i++) {
            const end = words.findIndex((word, j) => j > i && SHELL_SEPARATORS.has(word));
            const command = words.slice(i + 1, end === -1 ? undefined : end);
            if (words[i] === "mkdir" && command.some((word) => /^-[a-z]*p[a-z]*$/i.test(word) || word === "--parents")) {
                command.forEach((word, j) => {
                    if (!word.startsWith("-") && command[j - 1] !== "-m") made.add(folder(word));
                });
            } else if (words[i] === "pulumi" && command[0] === "login") {
                const url = command.find((word) => word.startsWith("file://"));
                if (url !== undefined && !made.has(folder(url.slice("file://".length)))) missing.push(folder(url.slice("file://".length)));
            }
        }
    }
    return missing;
}

/** The body rows of the first Markdown table after a heading, each as its trimmed cells. */
function tableRows(markdown: string, heading: string): string[][] {
    const lines = withoutFences(markdown).split("\n");
    const start = lines.findIndex((line) => line.trim() === heading);
    if (start === -1) return [];
    const tableStart = lines.findIndex((line, i) => i > start && line.startsWith("|"));
    const rows: string[][] = [];
    for (let i = tableStart + 2; tableStart !== -1 && i < lines.length && lines[i].startsWith("|"); i++) {
        rows.push(lines[i].replace(/^\||\|$/g, "").split("|").map((cell) => cell.trim()));
    }
    return rows;
}

const COUNT_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"];

/** What a cost row says of an environment's tasks: `three tasks of 0.5 vCPU and 1 GB (≈ $0.025/h each)`. */
function taskCosts(text: string): { count: number; vcpu: number; gb: number; price: string }[] {
    return [...text.matchAll(/\b(\w+) (?:Fargate )?tasks? of ([\d.]+) vCPU and ([\d.]+) GB\b[^$|]*?≈ \$(\d+\.\d+)\/h/g)].map((match) => ({
        count: /^\d+$/.test(match[1]) ? Number(match[1]) : COUNT_WORDS.indexOf(match[1].toLowerCase()),
        vcpu: Number(match[2]),
        gb: Number(match[3]),
        price: match[4],
    }));
}

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

        it("finds a pulumi login to a local folder that no mkdir -p before it creates", () => {
            const block = [
                'mkdir -p "$HOME/a"',
                'pulumi login "file://$HOME/a"    # made above',
                "pulumi login file://$HOME/b",
                "mkdir -p -m 700 ~/c/ && pulumi login file://~/c",
                "pulumi login 's3://bucket?region=eu-west-1'",
                "pulumi login file:///d",
                "mkdir -p /d",
                "mkdir /e",
                "pulumi login file:///e",
            ].join("\n");
            assert.deepEqual(loginsWithoutMkdir(block), ["$HOME/b", "/d", "/e"]);
        });

        it("reads what a cost row says of an environment's tasks", () => {
            assert.deepEqual(taskCosts("one NAT gateway ≈ $0.048/h; one Fargate task of 0.25 vCPU and 0.5 GB ≈ $0.012/h (vCPU ≈ $0.04/h)"), [
                { count: 1, vcpu: 0.25, gb: 0.5, price: "0.012" },
            ]);
            assert.deepEqual(taskCosts("three NAT gateways (≈ $0.048/h each), three tasks of 0.5 vCPU and 1 GB (≈ $0.025/h each)"), [
                { count: 3, vcpu: 0.5, gb: 1, price: "0.025" },
            ]);
            assert.deepEqual(tableRows("## Costs\n\n| a | b |\n| --- | --- |\n| x | y |\n| z | w |\n\n## Next\n| q |", "## Costs"), [
                ["x", "y"],
                ["z", "w"],
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
                    named.filter((file) => !fs.existsSync(stackFilePath(file))),
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

            it("every pulumi login file://<folder> follows a mkdir -p of that folder in the same code block", () => {
                const inProse = [...withoutFences(page.text).matchAll(/\bpulumi\s+login\s+[^\n`]*file:\/\/[^\s`]*/g)].map((match) => `${match[0]} (outside a code block)`);
                assert.deepEqual([...inProse, ...codeBlocks(page.text).flatMap((block) => loginsWithoutMkdir(block.code))], []);
            });
        });
    }

    describe("docs/getting-started.md, What it costs: each environment's tasks as its stack file sizes them", () => {
        const guide = fs.readFileSync(path.join(ROOT, "docs/getting-started.md"), "utf8");
        const rows = tableRows(guide, "## What it costs");
        // The table prices one region, which it names; a user's stacks may be anywhere.
        const pricedRegion = /Approximate ([a-z]{2}-[a-z]+-\d) list prices/.exec(guide)?.[1];
        const environments = ENVIRONMENT_STACK_FILES.map((file) => ({ stack: stackName(file), config: loadEnvironmentConfig(file) }));

        it("finds the environment stack files and the table, and the region it prices", () => {
            assert.ok(environments.length > 0, "no stack file has ecs-loadlab:role environment");
            assert.ok(pricedRegion, "the section says which region's list prices it uses");
            assert.ok(rows.length > 0, "no table under ## What it costs");
        });

        for (const { stack, config } of environments) {
            it(`${stack}: desiredCount, cpu and memory of Pulumi.${stack}.yaml, at the task-hour price scripts/loadtest/pricing.ts gives in the table's region`, () => {
                const row = rows.find((cells) => cells[0].startsWith(`[${stack}](`));
                assert.ok(row, `no row for ${stack}`);
                const tasks = taskCosts(row.join(" | "));
                assert.equal(tasks.length, 1, `${stack}'s row says once what its tasks are and cost: "<count> tasks of <n> vCPU and <n> GB (≈ $<price>/h each)"`);
                const { service } = config;
                const { perTaskHourUsd } = estimateFargateCost({ region: pricedRegion!, cpuUnits: service.cpu, memoryMiB: service.memory, tasks: 1, seconds: 3600, spot: false });
                const written = tasks[0];
                const decimals = written.price.split(".")[1].length;
                assert.deepEqual(
                    { count: written.count, vcpu: written.vcpu, gb: written.gb, price: written.price },
                    { count: service.desiredCount, vcpu: service.cpu / 1024, gb: service.memory / 1024, price: perTaskHourUsd.toFixed(decimals) },
                );
            });
        }
    });

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
