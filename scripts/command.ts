/**
 * How the audit commands end: the status their `main` resolves to, or 2 with the failure's message
 * on one line (never a stack trace) when it throws.
 */
export function exitWhenDone(name: string, main: () => Promise<number>): void {
  main().then(
    (status) => process.exit(status),
    (error: unknown) => {
      console.error(`${name}: ${(error as Error).message}`);
      process.exit(2);
    },
  );
}
