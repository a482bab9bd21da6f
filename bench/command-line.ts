/**
 * How the benchmark's small commands (`npm run capacity`, `npm run bench:profile`) read their
 * arguments and end: a mistake in the command line or in the file it names gets one line and exit
 * 2, never a stack trace; anything else is a bug and shows as one.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake of the command line or of its input, said in one line. */
export class CommandInputError extends Error {}

/** `parseArgs`, with an unknown option or a missing value as a CommandInputError. */
export function parseCommandLine<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    throw new CommandInputError((error as Error).message);
  }
}

/** Runs `main`; a CommandInputError ends the process with its message and status 2. */
export function runCommand(name: string, main: () => void): void {
  try {
    main();
  } catch (error) {
    if (!(error instanceof CommandInputError)) throw error;
    console.error(`${name}: ${error.message}`);
    process.exit(2);
  }
}
