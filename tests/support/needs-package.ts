/**
 * `describe` for suites that need a program from a Debian package (a server, a browser): they run
 * when it is installed; otherwise they fail in CI (`CI` set: .ci/run must install the package)
 * and are skipped with a message elsewhere.
 */
import { missingMessage, PackageRequirement } from '../../stack/packages';
import { findPostgresBinaries, POSTGRES_REQUIREMENT } from '../../stack/postgres';
import { findRedisServer, REDIS_REQUIREMENT } from '../../stack/redis';

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

/** `describe` for suites that need Redis (stack/redis.ts starts a throwaway one). */
export function describeWithRedis(name: string, body: () => void): void {
  describeIfInstalled(name, { installed: findRedisServer() !== null, ...REDIS_REQUIREMENT }, body);
}

/** `describe` for suites that need a PostgreSQL server (stack/postgres.ts starts a throwaway one). */
export function describeWithPostgres(name: string, body: () => void): void {
  describeIfInstalled(name, { installed: findPostgresBinaries() !== null, ...POSTGRES_REQUIREMENT }, body);
}
