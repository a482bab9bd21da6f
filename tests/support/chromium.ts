/**
 * Headless Chromium for browser tests: Debian's `chromium` package (no browser download), started
 * here with a fresh profile in a temp directory, driven by playwright-core through its DevTools
 * endpoint on loopback, and allowed no network beyond loopback.
 *
 * Without the binary the suites that need it are skipped with a message, except in CI (`CI` set),
 * where they fail: CI must install the `chromium` package.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, BrowserContext, chromium } from 'playwright-core';
import { describeIfInstalled } from './needs-package';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** `describe` for suites that need the browser. */
export function describeWithChromium(name: string, body: () => void): void {
  describeIfInstalled(name, { installed: existsSync(CHROMIUM_PATH), what: `Chromium at ${CHROMIUM_PATH}`, debianPackage: 'chromium' }, body);
}

export interface OfflineBrowser {
  context: BrowserContext;
  /** Requests that tried to leave the machine (each was refused). */
  blocked: string[];
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Screenshots as a reader sees the page, without classic scrollbars.
  '--hide-scrollbars',
];

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** Starts Chromium itself (so the test owns the process and can always end it) and returns its DevTools address. */
function startChromium(profile: string): { child: ChildProcess; endpoint: Promise<string> } {
  const child = spawn(CHROMIUM_PATH, [...FLAGS, `--user-data-dir=${profile}`, '--remote-debugging-address=127.0.0.1', '--remote-debugging-port=0', 'about:blank'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    // Its own process group: ending it ends the renderer and GPU helpers too.
    detached: true,
  });
  const endpoint = new Promise<string>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`Chromium did not start within 90 s: ${output.slice(-500)}`)), 90_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /DevTools listening on (ws:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`Chromium exited (${signal ?? code}) before it was ready: ${output.slice(-500)}`));
    });
  });
  return { child, endpoint };
}

/** Ends Chromium's process group: politely, then for sure. */
async function stopChromium(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
  };
  signalGroup('SIGTERM');
  await Promise.race([exited, delay(5000)]);
  signalGroup('SIGKILL');
  await Promise.race([exited, delay(5000)]);
}

/** A browser that can reach only this machine: every other request is aborted and recorded. */
export async function launchOfflineBrowser(): Promise<OfflineBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'chromium-profile-'));
  const { child, endpoint } = startChromium(profile);
  const cleanUp = async () => {
    await stopChromium(child);
    rmSync(profile, { recursive: true, force: true });
  };
  let browser: Browser;
  try {
    browser = await chromium.connectOverCDP(await endpoint, { timeout: 90_000 });
  } catch (error) {
    await cleanUp();
    throw error;
  }
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const blocked: string[] = [];
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (LOOPBACK.has(url.hostname)) return route.continue();
    blocked.push(url.origin + url.pathname);
    return route.abort('internetdisconnected');
  });
  return {
    context,
    blocked,
    async close() {
      // Disconnecting must not hang the suite: the process is ended below either way.
      await Promise.race([browser.close().catch(() => undefined), delay(10_000)]);
      await cleanUp();
    },
  };
}
