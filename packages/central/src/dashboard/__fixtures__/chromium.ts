import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Debian's chromium (the project never downloads a browser); CHROMIUM_PATH overrides it. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-quic',
  '--no-first-run',
  '--disable-sync',
];

/**
 * Whether the browser tests can run. Without chromium they are skipped with one loud line, except
 * in CI (`CI=true`) or with `REQUIRE_BROWSER=1`, where that is an error naming the missing binary.
 */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  const required = process.env.CI === 'true' || process.env.REQUIRE_BROWSER === '1';
  const message = `dashboard browser tests need Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`;
  if (required) throw new Error(`${message}; CI=true or REQUIRE_BROWSER=1 makes this a failure`);
  process.stderr.write(`\n!!! SKIPPING the dashboard browser tests: ${message}\n\n`);
  return false;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: FLAGS, headless: true });
}

/**
 * The little of the DOM the tests touch inside the page. Typed here because the server code's
 * compilation has no DOM library; functions run in the page (the page's CSP forbids string eval).
 */
export interface BrowserWindow {
  document: {
    body: { dataset: Record<string, string | undefined> };
    querySelectorAll(selector: string): { length: number };
  };
  getComputedStyle(element: unknown): { borderLeftColor: string; backgroundColor: string };
  __dashboard: {
    metrics: {
      firstRenderAt: number | null;
      lastSnapshotMs: number | null;
      lastBatchMs: number | null;
      batchMs: number[];
      deltas: number;
      snapshots: number;
      reconnects: number;
    };
    renderedCards(): number;
  };
}

/** Page function: the dashboard says it is live (a snapshot arrived on the current stream). */
export const isLive = (): boolean =>
  (globalThis as unknown as BrowserWindow).document.body.dataset.connection === 'live';

/** Waits until `selector` matches exactly `count` elements. */
export async function countIs(page: Page, selector: string, count: number, timeout = 5000): Promise<void> {
  await page.waitForFunction(
    ([s, n]) => (globalThis as unknown as BrowserWindow).document.querySelectorAll(s as string).length === n,
    [selector, count] as const,
    { timeout },
  );
}

const LOCK_DIR = join(tmpdir(), 'evcharging-dashboard-browser.lock');

/** How long a browser suite waits for the others before it runs anyway. */
export const LOCK_WAIT_MS = 150_000;

function lockHolderAlive(): boolean {
  try {
    const pid = Number(readFileSync(join(LOCK_DIR, 'pid'), 'utf8'));
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs the browser suites one at a time across vitest's workers: on a 2-core machine, three
 * Chromiums and a 10,000-CP page at once would turn timing assertions into coin flips. A lock left
 * by a dead process is taken over; after `timeoutMs` the suite runs anyway. Returns the release.
 */
export async function browserLock(timeoutMs = LOCK_WAIT_MS): Promise<() => void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      writeFileSync(join(LOCK_DIR, 'pid'), String(process.pid));
      return () => rmSync(LOCK_DIR, { recursive: true, force: true });
    } catch {
      if (!lockHolderAlive()) {
        // no pid yet may mean the holder is between mkdir and write: give it a moment
        await new Promise((resolve) => setTimeout(resolve, 200));
        if (!lockHolderAlive()) rmSync(LOCK_DIR, { recursive: true, force: true });
        continue;
      }
      if (performance.now() > deadline) return () => {};
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
