/** Stopping the product's child processes the way an orchestrator does: SIGTERM, then SIGKILL after a grace period. */
import type { ChildProcess } from 'node:child_process';

export async function stopChildren(children: readonly ChildProcess[], graceMs: number): Promise<void> {
  await Promise.all(
    children
      .filter((child) => child.exitCode === null && child.signalCode === null)
      .map(
        (child) =>
          new Promise<void>((done) => {
            const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
            child.once('exit', () => {
              clearTimeout(killer);
              done();
            });
            child.kill('SIGTERM');
          }),
      ),
  );
}
