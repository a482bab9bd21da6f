/** Child processes of the benchmark: started with tsx, logs to a file, stopped by their own pid. */
import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { stopChildren } from '../stack/child-processes';

export const ROOT = resolve(__dirname, '..');

export interface Child {
  name: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export function startChild(name: string, argv: string[], env: NodeJS.ProcessEnv, logDir: string): Child {
  const log = createWriteStream(join(logDir, `${name}.log`));
  const child = spawn(argv[0], argv.slice(1), { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  running.add(child);
  child.once('exit', (code, signal) => {
    running.delete(child);
    if (code !== 0 && code !== null && !stopping.has(child)) process.stderr.write(`bench: ${name} exited with ${signal ?? `code ${code}`} (see ${name}.log)\n`);
  });
  return {
    name,
    process: child,
    stop: () => stopProcess(child),
  };
}

const stopping = new Set<ChildProcess>();
const running = new Set<ChildProcess>();

/** Stops every child still running (on failure or Ctrl-C), each by its own pid. */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...running].map((child) => stopProcess(child)));
}

function stopProcess(child: ChildProcess): Promise<void> {
  stopping.add(child); // its exit is expected, not reported
  return stopChildren([child], 15_000);
}

/** Flags every node child gets (`--cpu-prof …` when profiling; not allowed in NODE_OPTIONS). */
const nodeFlags: string[] = [];
export function addNodeFlags(...flags: string[]): void {
  nodeFlags.push(...flags);
}

/** `node [flags] <script> …args`. */
export function nodeCommand(script: string, ...args: string[]): string[] {
  return [process.execPath, ...nodeFlags, script, ...args];
}

/** `node --import tsx <script> …args`: a TypeScript entry point of this repository. */
export function tsxCommand(script: string, ...args: string[]): string[] {
  return [process.execPath, ...nodeFlags, '--import', 'tsx', join(ROOT, script), ...args];
}

export async function waitForUrl(url: string, what: string, child?: Child, timeoutMs = 120_000, init?: RequestInit): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.process.exitCode !== null) throw new Error(`${what} exited before it was ready (see ${child.name}.log)`);
    try {
      const response = await fetch(url, init);
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} was not ready at ${url} within ${timeoutMs / 1000} s`);
}
