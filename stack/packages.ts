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
