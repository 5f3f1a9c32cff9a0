/**
 * Tests that survive real values. Users replace the stack files' fake values (account ids, the GitHub repository,
 * the Pulumi organization, the domain, the region) with their own, so a test that reads a stack file must expect what
 * follows from the file, not what the shipped file says. Here every stack file, with the policy configs beside it,
 * is copied to a temporary folder with each of those values replaced consistently by another, and the tests that
 * assert stack properties run over the copy in a child mocha (tests/environment-fixtures.ts reads the stack files from
 * the folder ECS_LOADLAB_STACK_FILES_DIR names). The values replaced are read from the files: the shipped
 * placeholders, or whatever a user has put there.
 *
 * The child starts with the run (a root hook) and the last test waits for it, so it runs beside the rest of the
 * suite instead of after it. A failure to make the copy is reported by the tests below, never by the hook.
 */
import assert from "node:assert/strict";
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { POLICY_CONFIG_DIR, REPO_ROOT, STACK_FILES, STACK_FILES_DIR_VARIABLE, stackFilePath } from "./environment-fixtures";

/**
 * The tests that read stack files and assert values derived from their accounts, region, repository, organization and
 * domain (ARNs, names, trust, URLs), or check them against the workflows: each must pass with other values. Suites
 * that read the stack files for what the values do not change (sizes and scaling, config errors, the action
 * catalogue, the read-only role's access through the same evaluation as the deploy role's) run once, in the main run:
 * `npm test` has two minutes and two cores.
 */
const STACK_TESTS = [
    "bootstrap-stack",
    "config",
    "environment-image",
    "environment-stack",
    "iam-provider-calls",
    "iam-tool-calls",
    "loadgen-stack",
    "promote-cli",
    "provider",
    "security-controls",
    "shared-stack",
    "timeline-observe",
    "workflows",
].map((name) => `tests/${name}.test.ts`);

/** The shipped placeholders: none may be left in the copy (with a user's own values there are none to begin with). */
const PLACEHOLDERS = ["111111111111", "222222222222", "333333333333", "444444444444", "my-org", "example.com", "eu-west-1"];

/** Availability zones of the regions the copy may move to: no stack may ask its region for more. */
const ZONES_BY_REGION: Record<string, number> = { "ap-southeast-2": 3, "us-east-2": 3, "ca-central-1": 3, "eu-north-1": 3 };

/** Realistic values to replace with, taken in order, skipping any the files already use. */
const CANDIDATES = {
    accounts: ["730335287416", "584920173652", "462018937745", "318274659023", "205918364471", "649302817756", "871462039518", "397105826643"],
    regions: Object.keys(ZONES_BY_REGION),
    repositories: ["acme-platform/loadlab-fork", "acme-platform/loadlab-fork-2", "acme-platform/loadlab-fork-3"],
    pulumiOrganizations: ["acme-cloud", "acme-cloud-2"],
    domains: ["acme-test.net", "acme-test-2.net", "acme-test-3.net"],
};

const CHILD_TIMEOUT_MS = 170_000;

/** The parts of a stack file this test reads, as written (nothing validated), keys without `ecs-loadlab:`. */
interface Written {
    aws?: { region?: string };
    bootstrap?: { stateBackend?: { region?: string }; github?: { repository?: string }; hostedZones?: string[] };
    environment?: { sharedStack?: string };
    domain?: { name?: string; hostedZone?: string };
    alarms?: { email?: string };
    network?: { availabilityZones?: number };
    loadgen?: { network?: { availabilityZones?: number } };
}

function written(text: string): Written {
    const config = (parseYaml(text) as { config?: Record<string, unknown> }).config ?? {};
    return Object.fromEntries(Object.entries(config).map(([key, value]) => [key.replace(/^ecs-loadlab:/, ""), value])) as Written;
}

/** `dev.loadlab.example.com` → `example.com`: the domain a name belongs to, which a user replaces with theirs. */
const domainOf = (name: string) => name.split(".").slice(-2).join(".");

const isAccountId = (value: string) => /^\d{12}$/.test(value);

/** A value as found in text: an account id only as a whole number. */
const pattern = (value: string) => (isAccountId(value) ? `(?<!\\d)${value}(?!\\d)` : value.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"));

/** What the stack files say that a user replaces: account ids, regions, GitHub repositories, Pulumi organizations, domains. */
function valuesToReplace(texts: string[]): Record<keyof typeof CANDIDATES, string[]> {
    const files = texts.map(written);
    const sorted = (values: (string | undefined)[]) => [...new Set(values.filter((value): value is string => typeof value === "string"))].sort();
    return {
        accounts: sorted(texts.flatMap((text) => [...text.matchAll(/(?<!\d)\d{12}(?!\d)/g)].map((match) => match[0]))),
        regions: sorted(files.flatMap((file) => [file.aws?.region, file.bootstrap?.stateBackend?.region])),
        repositories: sorted(files.map((file) => file.bootstrap?.github?.repository)),
        pulumiOrganizations: sorted(files.map((file) => file.environment?.sharedStack?.split("/")[0])),
        domains: sorted(
            files.flatMap((file) =>
                [file.domain?.name, file.domain?.hostedZone, ...(file.bootstrap?.hostedZones ?? []), file.alarms?.email?.split("@")[1]]
                    .filter((name): name is string => name !== undefined)
                    .map(domainOf),
            ),
        ),
    };
}

interface Copy {
    dir: string;
    /** Each value replaced, and what replaced it. */
    replaced: Map<string, string>;
    /** The stack files' text, by name: as read, and as copied. */
    originals: Map<string, string>;
    copies: Map<string, string>;
}

/** Copies the stack files and their policy configs to a new temporary folder, with each value a user replaces replaced. */
function makeCopy(): Copy {
    const originals = new Map(STACK_FILES.map((file) => [file, fs.readFileSync(stackFilePath(file), "utf8")]));
    const found = valuesToReplace([...originals.values()]);
    const replaced = new Map<string, string>();
    for (const [kind, values] of Object.entries(found) as [keyof typeof CANDIDATES, string[]][]) {
        const unused = CANDIDATES[kind].filter((candidate) => !values.includes(candidate));
        assert.ok(values.length <= unused.length, `the stack files name ${values.length} ${kind}: add candidates to replace them with`);
        values.forEach((value, index) => replaced.set(value, unused[index]));
    }
    // A shared stack reference, <organization>/<project>/<stack>, gets the organization's replacement and keeps its project
    // (Pulumi.yaml's name, which is not a stack file's): as a whole, before the repository that may start like it.
    for (const organization of found.pulumiOrganizations) {
        const replacement = replaced.get(organization) as string;
        replaced.delete(organization);
        for (const text of originals.values()) {
            for (const [reference] of text.matchAll(new RegExp(`${pattern(organization)}/[\\w.-]+/[\\w.-]+`, "g"))) {
                replaced.set(reference, `${replacement}${reference.slice(organization.length)}`);
            }
        }
    }
    // In one pass, longest first: a value inside another (an organization in its repository) is replaced as part of it.
    const all = new RegExp([...replaced.keys()].sort((a, b) => b.length - a.length).map(pattern).join("|"), "g");
    const copies = new Map([...originals].map(([file, text]) => [file, text.replace(all, (value) => replaced.get(value) ?? value)]));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ecs-loadlab-real-values-"));
    for (const [file, text] of copies) fs.writeFileSync(path.join(dir, file), text);
    fs.cpSync(POLICY_CONFIG_DIR, path.join(dir, "policy", "config"), { recursive: true });
    return { dir, replaced, originals, copies };
}

interface Outcome {
    /** The child mocha's exit status; null when it was killed. */
    status: number | null;
    output: string;
}

interface ChildRun {
    copy: Copy;
    child: ChildProcess;
    outcome: Promise<Outcome>;
    finished?: Outcome;
}

/** Ends the child mocha and the node process it starts for .mocharc.json's node options: its own process group. */
function stop(child: ChildProcess): void {
    try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    } catch {
        // Already gone.
    }
}

/** Runs STACK_TESTS over the copy in a child mocha, which loads TypeScript as .mocharc.json says (tsx), like this run. */
function runOnCopy(copy: Copy): ChildRun {
    const child = spawn(process.execPath, [require.resolve("mocha/bin/mocha.js"), "--reporter", "dot", ...STACK_TESTS], {
        cwd: REPO_ROOT,
        env: { ...process.env, [STACK_FILES_DIR_VARIABLE]: copy.dir },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => stop(child), CHILD_TIMEOUT_MS);
    const run: ChildRun = {
        copy,
        child,
        outcome: new Promise<Outcome>((resolve) => {
            const finish = (outcome: Outcome) => {
                clearTimeout(timer);
                run.finished ??= outcome;
                resolve(outcome);
            };
            child.on("error", (error) => finish({ status: null, output: `${output}\n${String(error)}` }));
            child.on("close", (status) => finish({ status, output }));
        }),
    };
    return run;
}

let started: ChildRun | { error: unknown } | undefined;

// Root hooks, so that the copy's tests run from the start of the whole run.
before(() => {
    try {
        started = runOnCopy(makeCopy());
    } catch (error) {
        started = { error };
    }
});

after(() => {
    if (started === undefined || "error" in started) return;
    if (started.finished === undefined) stop(started.child);
    // A failed run's copy stays, for running its tests again (the failure names its folder).
    const failed = started.finished !== undefined && started.finished.status !== 0;
    if (!failed) fs.rmSync(started.copy.dir, { recursive: true, force: true });
});

function childRun(): ChildRun {
    assert.ok(started, "the root hook has run");
    if ("error" in started) throw started.error;
    return started;
}

describe("stack tests with real values: the stack files copied with other account ids, repository, organization, domain and region", () => {
    it("the copy replaces every account id, region, GitHub repository, Pulumi organization and domain, each by a value of its own", () => {
        const { copy } = childRun();
        const found = valuesToReplace([...copy.originals.values()]);
        for (const [kind, values] of Object.entries(found)) assert.ok(values.length > 0, `the stack files name no ${kind}`);
        assert.equal(new Set(copy.replaced.values()).size, copy.replaced.size, "distinct values get distinct replacements");
        assert.deepEqual(STACK_FILES.filter((file) => copy.copies.get(file) === copy.originals.get(file)), [], "every file changed");
        const copied = [...copy.copies.values()].join("\n");
        for (const replacement of copy.replaced.values()) assert.ok(copied.includes(replacement), `${replacement} is in the copy`);
        // What is left besides the replacements (which may contain an original, as acme-test.net contains test.net).
        const replacements = new RegExp([...copy.replaced.values()].sort((a, b) => b.length - a.length).map(pattern).join("|"), "g");
        const rest = copied.replace(replacements, "\u0000");
        const left = [...Object.values(found).flat(), ...PLACEHOLDERS].filter((value) => new RegExp(pattern(value)).test(rest));
        assert.deepEqual(left, [], "none of the replaced values is left");
        assert.deepEqual(fs.readdirSync(path.join(copy.dir, "policy", "config")).sort(), fs.readdirSync(POLICY_CONFIG_DIR).sort());
    });

    it("no stack of the copy asks its region for more availability zones than it has", () => {
        for (const [file, text] of childRun().copy.copies) {
            const { aws, network, loadgen } = written(text);
            const region = String(aws?.region);
            for (const zones of [network?.availabilityZones, loadgen?.network?.availabilityZones]) {
                if (zones !== undefined) assert.ok(zones <= ZONES_BY_REGION[region], `${file}: ${zones} AZs in ${region}`);
            }
        }
    });

    it(`${STACK_TESTS.map((file) => path.basename(file, ".test.ts")).join(", ")}: pass over the copy`, async function () {
        this.timeout(CHILD_TIMEOUT_MS + 10_000);
        assert.ok(!STACK_TESTS.includes(path.relative(REPO_ROOT, __filename)), "the child does not run this file");
        const run = childRun();
        const { status, output } = await run.outcome;
        assert.equal(status, 0, `the stack tests failed over the copy (${STACK_FILES_DIR_VARIABLE}=${run.copy.dir}):\n${output}`);
        assert.match(output, /\d+ passing/);
    });
});
