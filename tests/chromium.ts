/**
 * Headless Chromium for the tests that check a page in a browser, driven by playwright-core with no network of its
 * own. The browser is the first of: CHROMIUM_PATH, the system's Chromium or Google Chrome, or the Chromium that
 * `npx playwright-core install chromium` put in Playwright's cache. Without one, the browser suites are skipped in one
 * line saying how to get one, except in CI (`CI` set, as GitHub and most CI services set it), where that fails.
 */
import * as fs from "node:fs";
import { chromium, type Browser } from "playwright-core";

const LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"];

/**
 * Where a browser is installed, by platform. Debian's `chromium` package; Google's `google-chrome` packages; the
 * macOS applications. Ubuntu's apt `chromium-browser` is left out: it is a stub that installs a snap, whose
 * confinement cannot read the tests' pages in the temporary directory.
 */
const SYSTEM_BROWSERS: Partial<Record<NodeJS.Platform, readonly string[]>> = {
    linux: ["/usr/bin/chromium", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable"],
    darwin: ["/Applications/Google Chrome.app/Contents/MacOS/Google Chrome", "/Applications/Chromium.app/Contents/MacOS/Chromium"],
};

export const ENABLE_BROWSER_TESTS =
    "install a browser (Debian: apt-get install chromium; Ubuntu, macOS: Google Chrome; anywhere: npx playwright-core install chromium) or set CHROMIUM_PATH to a Chromium or Chrome binary";

export type BrowserChoice = { found: true; path: string; source: string } | { found: false; reason: string };

export interface BrowserSearch {
    env: NodeJS.ProcessEnv;
    platform: NodeJS.Platform;
    /** Where `npx playwright-core install chromium` puts Chromium for this playwright-core. */
    playwrightChromium: string;
    isExecutable(path: string): boolean;
}

/** The browser the tests use, or why there is none. A CHROMIUM_PATH that names nothing is never passed over. */
export function findBrowser(search: BrowserSearch): BrowserChoice {
    const named = search.env.CHROMIUM_PATH;
    if (named !== undefined && named !== "") {
        return search.isExecutable(named)
            ? { found: true, path: named, source: "CHROMIUM_PATH" }
            : { found: false, reason: `CHROMIUM_PATH=${named} is not an executable: point it at a Chromium or Chrome binary, or unset it` };
    }
    const candidates = [
        ...(SYSTEM_BROWSERS[search.platform] ?? []).map((path) => ({ path, source: "the system" })),
        { path: search.playwrightChromium, source: "Playwright's cache" },
    ];
    const installed = candidates.find((candidate) => search.isExecutable(candidate.path));
    if (installed) return { found: true, ...installed };
    return { found: false, reason: `no Chromium or Chrome found (looked at ${candidates.map((candidate) => candidate.path).join(", ")})` };
}

/** What the browser suites do: run with a browser, fail in CI without one, or skip in one line elsewhere. */
export type BrowserSuitePlan = { kind: "run"; path: string } | { kind: "fail"; message: string } | { kind: "skip"; line: string };

export function browserSuitePlan(choice: BrowserChoice, env: NodeJS.ProcessEnv, neededFor?: string): BrowserSuitePlan {
    if (choice.found) return { kind: "run", path: choice.path };
    // A CHROMIUM_PATH someone set, or a picture someone asked for, is a mistake to report, not a reason to skip.
    const needed = isCi(env) ? "CI runs every test" : (env.CHROMIUM_PATH ?? "") !== "" ? "CHROMIUM_PATH is set" : neededFor;
    if (needed !== undefined) return { kind: "fail", message: `${choice.reason}, and ${needed}: ${ENABLE_BROWSER_TESTS}` };
    return { kind: "skip", line: `skipped: ${choice.reason}; to run them, ${ENABLE_BROWSER_TESTS}` };
}

/** CI services set CI (GitHub, GitLab, CircleCI, Buildkite, Travis: "true"; some "1"). */
function isCi(env: NodeJS.ProcessEnv): boolean {
    const value = env.CI?.toLowerCase();
    return value !== undefined && value !== "" && value !== "false" && value !== "0";
}

function isExecutable(path: string): boolean {
    try {
        fs.accessSync(path, fs.constants.X_OK);
        return fs.statSync(path).isFile();
    } catch {
        return false;
    }
}

const browserChoice = findBrowser({ env: process.env, platform: process.platform, playwrightChromium: chromium.executablePath(), isExecutable });

/**
 * A mocha suite whose tests get a headless browser, launched once before them and closed after. Without a browser it
 * is one skipped test whose title says how to enable the suite, or a failing hook in CI or when the environment
 * variable `neededBy` (a picture to write) is set.
 */
export function describeInBrowser(title: string, suite: (browser: () => Browser) => void, neededBy?: string): void {
    const plan = browserSuitePlan(browserChoice, process.env, neededBy && process.env[neededBy] ? `${neededBy} asks for a picture` : undefined);
    if (plan.kind === "skip") {
        describe(title, () => it.skip(plan.line));
        return;
    }
    describe(title, function () {
        this.timeout(20_000);
        let browser: Browser | undefined;
        before(async () => {
            if (plan.kind === "fail") throw new Error(plan.message);
            browser = await chromium.launch({ executablePath: plan.path, args: LAUNCH_ARGS });
        });
        after(async () => {
            await browser?.close();
        });
        suite(() => {
            if (!browser) throw new Error("the browser is launched in the suite's before hook");
            return browser;
        });
    });
}
