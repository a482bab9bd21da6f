import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
/** A program the stack needs from a Debian package (a server, a browser), and how its absence is worded. */
export interface PackageRequirement {
  installed: boolean;
  /** What is missing, e.g. "Chromium at /usr/bin/chromium". */
  what: string;
  debianPackage: string;
}

export function missingMessage(requirement: PackageRequirement): string {
  return `${requirement.what} not installed: .ci/run installs the ${requirement.debianPackage} package`;
}

/** Where `program` is installed: the first of `candidates` that exists, else what the shell's PATH finds, else null. */
export function findProgram(program: string, candidates: readonly string[]): string | null {
  for (const candidate of candidates) if (existsSync(candidate)) return candidate;
  try {
    const found = execFileSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' }).trim();
    return found.length > 0 ? found : null;
  } catch {
    return null;
  }
}
