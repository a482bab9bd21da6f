/**
 * `npm run bench:profile -- <file.cpuprofile> [--from S] [--to S] [--top N] [--frame TEXT …] [--timeline]`:
 * where one process's CPU went, from a V8 profile that `npm run bench -- --cpu-prof <dir>` wrote.
 * The shares are of the busy time (every sample but idle) between --from and --to seconds after
 * the profile began, so a window can hold the measured requests alone (`--timeline` prints the busy
 * share second by second, where the measured run shows as the busy stretch before the process falls
 * idle at the end):
 *  - self time by package (`node_modules/<package>`, this repository's folders such as
 *    `gateway/subgraph-calls`, Node's own modules, or V8's `(garbage collector)`);
 *  - self time by function;
 *  - with `--frame`, the time spent inside frames whose function name or file contains the text
 *    (inclusive: what they called counts too), e.g. `--frame checkStillTheLog --frame node-fetch`.
 */
import { readFileSync } from 'node:fs';
import { CommandInputError, parseCommandLine, runCommand } from './command-line';
import { number } from './report';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

/** The `.cpuprofile` format (Chrome DevTools Protocol `Profiler.Profile`). */
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileWindow {
  /** Seconds after the profile began. */
  from?: number;
  to?: number;
}

export interface Share {
  name: string;
  ms: number;
  /** Of the busy time in the window. */
  share: number;
}

export interface ProfileSummary {
  durationS: number;
  windowS: { from: number; to: number };
  busyMs: number;
  idleMs: number;
  byPackage: Share[];
  byFunction: Share[];
  frames: Share[];
}

export class ProfileInputError extends CommandInputError {}

const IDLE = '(idle)';

/** What a frame belongs to: a package, a folder of this repository, a Node module, or V8 itself. */
export function packageOf(frame: CallFrame): string {
  const url = frame.url.replace(/^file:\/\//, '');
  const inModules = url.lastIndexOf('node_modules/');
  if (inModules >= 0) {
    const parts = url.slice(inModules + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (url.startsWith('node:')) return url;
  if (url.startsWith('/')) {
    // This repository's file: its top folder and what is below it (gateway/access, lib/audit, gateway/server.ts, …).
    const parts = url.split('/');
    const top = parts.findIndex((part) => ['gateway', 'subgraphs', 'sources', 'lib', 'mocks', 'bench', 'stack', 'scripts'].includes(part));
    return top >= 0 ? parts.slice(top, top + 2).join('/') : url;
  }
  return url || frame.functionName || '(anonymous)';
}

function functionLabel(frame: CallFrame): string {
  const url = frame.url.replace(/^file:\/\//, '');
  const inModules = url.lastIndexOf('node_modules/');
  const where = inModules >= 0 ? url.slice(inModules + 'node_modules/'.length) : url;
  return `${frame.functionName || '(anonymous)'} ${where}${where ? `:${frame.lineNumber + 1}` : ''}`.trim();
}

function ranked(totals: Map<string, number>, busyUs: number, top: number): Share[] {
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({ name, ms: us / 1000, share: busyUs > 0 ? us / busyUs : 0 }));
}

export function summarizeProfile(profile: CpuProfile, window: ProfileWindow = {}, options: { top?: number; frames?: string[] } = {}): ProfileSummary {
  if (!Array.isArray(profile?.nodes) || !Array.isArray(profile.samples) || !Array.isArray(profile.timeDeltas)) {
    throw new ProfileInputError('not a V8 CPU profile: it needs "nodes", "samples" and "timeDeltas" (a .cpuprofile written by --cpu-prof)');
  }
  const durationS = (profile.endTime - profile.startTime) / 1e6;
  const from = window.from ?? 0;
  const to = window.to ?? durationS;
  if (!(from >= 0) || !(to > from)) throw new ProfileInputError(`the window must start at 0 s or later and end after it starts (--from ${from} --to ${to})`);
  const top = options.top ?? 25;
  const frames = options.frames ?? [];

  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);

  const packages = new Map<string, number>();
  const functions = new Map<string, number>();
  const inside = new Map<string, number>();
  let busyUs = 0;
  let idleUs = 0;
  let at = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at < from * 1e6 || at > to * 1e6) continue;
    const node = byId.get(profile.samples[i]);
    if (!node) continue;
    if (node.callFrame.functionName === IDLE) {
      idleUs += delta;
      continue;
    }
    busyUs += delta;
    const pkg = packageOf(node.callFrame);
    packages.set(pkg, (packages.get(pkg) ?? 0) + delta);
    const fn = functionLabel(node.callFrame);
    functions.set(fn, (functions.get(fn) ?? 0) + delta);
    if (frames.length === 0) continue;
    const matched = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parentOf.get(id)) {
      const frame = byId.get(id)!.callFrame;
      for (const text of frames) if (!matched.has(text) && (frame.functionName.includes(text) || frame.url.includes(text))) matched.add(text);
    }
    for (const text of matched) inside.set(text, (inside.get(text) ?? 0) + delta);
  }
  return {
    durationS,
    windowS: { from, to: Math.min(to, durationS) },
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    byPackage: ranked(packages, busyUs, top),
    byFunction: ranked(functions, busyUs, top),
    frames: frames.map((text) => ({ name: text, ms: (inside.get(text) ?? 0) / 1000, share: busyUs > 0 ? (inside.get(text) ?? 0) / busyUs : 0 })),
  };
}

/** The busy share of each `stepS` seconds of the profile: where the measured run lies. */
export function busyTimeline(profile: CpuProfile, stepS = 1): { fromS: number; busy: number; gc: number }[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const steps: { busy: number; gc: number; all: number }[] = [];
  let at = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    const step = Math.floor(at / 1e6 / stepS); // where the sampled interval began
    at += delta;
    const slot = (steps[step] ??= { busy: 0, gc: 0, all: 0 });
    const name = byId.get(profile.samples[i])?.callFrame.functionName;
    slot.all += delta;
    if (name !== IDLE) slot.busy += delta;
    if (name === '(garbage collector)') slot.gc += delta;
  }
  return steps.map((slot, i) => ({ fromS: i * stepS, busy: slot && slot.all ? slot.busy / slot.all : 0, gc: slot && slot.all ? slot.gc / slot.all : 0 }));
}

const percent = (share: number) => `${number(share * 100, 1)}%`;

function table(title: string, rows: Share[]): string {
  const lines = [`| ${title} | ms | share of busy |`, '|---|---:|---:|', ...rows.map((row) => `| ${row.name.replace(/\|/g, '\\|')} | ${number(row.ms)} | ${percent(row.share)} |`)];
  return lines.join('\n');
}

export function profileReport(summary: ProfileSummary): string {
  const parts = [
    `${number(summary.windowS.from, 1)}–${number(summary.windowS.to, 1)} s of a ${number(summary.durationS, 1)} s profile: ${number(summary.busyMs)} ms busy, ${number(summary.idleMs)} ms idle`,
    table('self time, by package', summary.byPackage),
    table('self time, by function', summary.byFunction),
  ];
  if (summary.frames.length > 0) parts.push(table('inside frames (inclusive)', summary.frames));
  return parts.join('\n\n');
}

function seconds(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new ProfileInputError(`${flag} takes seconds after the profile began (a number, 0 or more), not "${text}"`);
  return value;
}

function main(): void {
  const { values, positionals } = parseCommandLine({
    allowPositionals: true,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      top: { type: 'string' },
      frame: { type: 'string', multiple: true },
      timeline: { type: 'boolean' },
    },
  });
  if (positionals.length !== 1) {
    throw new ProfileInputError('usage: npm run bench:profile -- <file.cpuprofile> [--from S] [--to S] [--top N] [--frame TEXT …] [--timeline]');
  }
  let profile: CpuProfile;
  try {
    profile = JSON.parse(readFileSync(positionals[0], 'utf8')) as CpuProfile;
  } catch (error) {
    throw new ProfileInputError(`Cannot read ${positionals[0]} as a CPU profile: ${(error as Error).message}`);
  }
  const top = values.top === undefined ? undefined : Number(values.top);
  if (top !== undefined && !(Number.isInteger(top) && top > 0)) throw new ProfileInputError(`--top takes a whole number above 0, not "${values.top}"`);
  if (values.timeline) {
    summarizeProfile(profile); // the same check of the file's shape
    for (const step of busyTimeline(profile)) console.log(`${number(step.fromS).padStart(5)} s  busy ${percent(step.busy).padStart(6)}  gc ${percent(step.gc).padStart(6)}`);
    return;
  }
  const summary = summarizeProfile(profile, { from: seconds(values.from, '--from'), to: seconds(values.to, '--to') }, { top, frames: values.frame ?? [] });
  console.log(profileReport(summary));
}

if (require.main === module) runCommand('bench:profile', main);
