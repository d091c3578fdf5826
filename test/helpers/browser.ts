// A real browser for the tests: Debian's Chromium (/usr/bin/chromium) driven by
// playwright-core. Nothing here downloads a browser; where Chromium is missing
// the browser tests are skipped with SKIP_REASON (see test/browser.test.ts).
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = process.env.PURENN_CHROMIUM ?? "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);
export const SKIP_REASON = `SKIPPED: no Chromium at ${CHROMIUM} (install it with \`apt-get install -y chromium\`; .ci/run does when it can)`;

/**
 * Headless Chromium with a fresh profile in `dir` (a new temporary folder by
 * default), with everything that would reach the network switched off.
 * Playwright takes the profile folder as launchPersistentContext's first
 * argument (it refuses --user-data-dir in args).
 */
export async function launchChromium(dir = mkdtempSync(join(tmpdir(), "purenn-chromium-"))): Promise<BrowserContext> {
  return chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1100, height: 900 },
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync",
    ],
  });
}

/** Console errors, uncaught page errors and failed requests of a page, collected as they happen. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
  return errors;
}
