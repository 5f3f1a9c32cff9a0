/**
 * Headless Chromium for the tests that check a page in a page: Debian's package (`apt-get install chromium`, which
 * .ci/run installs) or whatever CHROMIUM_PATH names, driven by playwright-core, with no network of its own.
 */
import * as fs from "node:fs";
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"];

export async function launchChromium(): Promise<Browser> {
    if (!fs.existsSync(CHROMIUM_PATH)) throw new Error(`no browser at ${CHROMIUM_PATH}: apt-get install chromium (see .ci/run), or set CHROMIUM_PATH`);
    return chromium.launch({ executablePath: CHROMIUM_PATH, args: LAUNCH_ARGS });
}
