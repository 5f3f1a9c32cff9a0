import { strict as assert } from "node:assert";
import { browserSuitePlan, findBrowser, type BrowserSearch } from "./chromium";

const PLAYWRIGHT = "/home/me/.cache/ms-playwright/chromium-1255/chrome-linux64/chrome";

function search(installed: readonly string[], env: NodeJS.ProcessEnv = {}, platform: NodeJS.Platform = "linux"): BrowserSearch {
    return { env, platform, playwrightChromium: PLAYWRIGHT, isExecutable: (path) => installed.includes(path) };
}

describe("the browser the page tests use (tests/chromium.ts)", () => {
    it("takes CHROMIUM_PATH first, then the system's Chromium, Google Chrome, then Playwright's Chromium", () => {
        const everything = ["/opt/chrome", "/usr/bin/chromium", "/usr/bin/google-chrome", PLAYWRIGHT];
        assert.deepEqual(findBrowser(search(everything, { CHROMIUM_PATH: "/opt/chrome" })), { found: true, path: "/opt/chrome", source: "CHROMIUM_PATH" });
        assert.deepEqual(findBrowser(search(everything)), { found: true, path: "/usr/bin/chromium", source: "the system" });
        assert.deepEqual(findBrowser(search(everything.slice(2))), { found: true, path: "/usr/bin/google-chrome", source: "the system" });
        assert.deepEqual(findBrowser(search([PLAYWRIGHT])), { found: true, path: PLAYWRIGHT, source: "Playwright's cache" });
        const mac = "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome";
        assert.deepEqual(findBrowser(search([mac, "/usr/bin/chromium"], {}, "darwin")), { found: true, path: mac, source: "the system" });
    });

    it("never passes over a CHROMIUM_PATH that names nothing, and says so", () => {
        const choice = findBrowser(search(["/usr/bin/chromium"], { CHROMIUM_PATH: "/usr/bin/chromium-browser" }));
        assert.equal(choice.found, false);
        const plan = browserSuitePlan(choice, { CHROMIUM_PATH: "/usr/bin/chromium-browser" });
        assert.equal(plan.kind, "fail");
        assert.match(plan.kind === "fail" ? plan.message : "", /^CHROMIUM_PATH=\/usr\/bin\/chromium-browser is not an executable.*CHROMIUM_PATH is set/);
    });

    it("skips in one line that says how to get a browser, but fails in CI or when a picture is asked for", () => {
        const none = findBrowser(search([]));
        assert.deepEqual(none, {
            found: false,
            reason: `no Chromium or Chrome found (looked at /usr/bin/chromium, /usr/bin/google-chrome, /usr/bin/google-chrome-stable, ${PLAYWRIGHT})`,
        });
        const skip = browserSuitePlan(none, {});
        assert.equal(skip.kind, "skip");
        const line = skip.kind === "skip" ? skip.line : "";
        assert.doesNotMatch(line, /\n/);
        assert.match(line, /^skipped: no Chromium or Chrome found .*apt-get install chromium.*npx playwright-core install chromium.*CHROMIUM_PATH/);
        for (const ci of ["true", "1", "TRUE"]) assert.equal(browserSuitePlan(none, { CI: ci }).kind, "fail", `CI=${ci}`);
        for (const notCi of ["", "false", "0"]) assert.equal(browserSuitePlan(none, { CI: notCi }).kind, "skip", `CI=${notCi}`);
        const picture = browserSuitePlan(none, {}, "TIMELINE_SCREENSHOT asks for a picture");
        assert.match(picture.kind === "fail" ? picture.message : "", /and TIMELINE_SCREENSHOT asks for a picture: install a browser/);
        assert.deepEqual(browserSuitePlan(findBrowser(search([PLAYWRIGHT])), { CI: "true" }), { kind: "run", path: PLAYWRIGHT });
    });
});
