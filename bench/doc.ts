/** Benchmarks write their figures into one section of docs/benchmarks.md, leaving the others alone. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, cpus, platform } from 'node:os';
import { resolve } from 'node:path';

export const BENCHMARKS_DOC = resolve(__dirname, '..', 'docs/benchmarks.md');

/** `doc` with the section titled `heading` (`## …`) replaced by `section`, or `section` appended. */
export function withSection(doc: string, heading: string, section: string): string {
  const body = `${section.trimEnd()}\n`;
  const start = doc.indexOf(heading);
  if (start < 0) return `${doc.trimEnd()}\n\n${body}`;
  const next = doc.indexOf('\n## ', start + 1);
  return doc.slice(0, start) + body + (next < 0 ? '' : `\n${doc.slice(next + 1)}`);
}

/** Replaces (or adds) one section of docs/benchmarks.md; `section` starts with `heading`. */
export function writeBenchmarkSection(heading: string, section: string): void {
  const doc = existsSync(BENCHMARKS_DOC) ? readFileSync(BENCHMARKS_DOC, 'utf8') : '# Benchmarks\n';
  writeFileSync(BENCHMARKS_DOC, withSection(doc, heading, section));
}

/** "on 2 cores (…), Node v20…, linux x64": where a figure was measured. */
export function machine(): string {
  return `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}, ${platform()} ${arch()}`;
}

export const fmt = (n: number) => n.toLocaleString('en-US');

/** Runs a benchmark's `main` as a script: exit 0 when done, 1 with the reason when it fails. */
export function runBenchmark(name: string, main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`${name} failed: ${(error as Error).message}`);
      process.exit(1);
    },
  );
}
