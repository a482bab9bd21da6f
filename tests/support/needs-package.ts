/**
 * `describe` for suites that need a program from a Debian package (a server, a browser): they run
 * when it is installed; otherwise they fail in CI (`CI` set: .ci/run must install the package)
 * and are skipped with a message elsewhere.
 */
export interface PackageRequirement {
  installed: boolean;
  /** What is missing, e.g. "Chromium at /usr/bin/chromium". */
  what: string;
  debianPackage: string;
}

export function missingMessage(requirement: PackageRequirement): string {
  return `${requirement.what} not installed: .ci/run installs the ${requirement.debianPackage} package`;
}

export function describeIfInstalled(name: string, requirement: PackageRequirement, body: () => void): void {
  if (requirement.installed) {
    describe(name, body);
  } else if (process.env.CI) {
    describe(name, () => {
      it(`needs ${requirement.what}`, () => {
        throw new Error(missingMessage(requirement));
      });
    });
  } else {
    console.warn(`Skipping "${name}": ${missingMessage(requirement)} (here: apt-get install ${requirement.debianPackage})`);
    describe.skip(name, body);
  }
}
