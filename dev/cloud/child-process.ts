// A function instance's process, supervised for the rehearsal: its output forwarded line by line under the
// function's name, and a stop that asks politely (SIGTERM, as FC does) before it kills.
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface Supervised {
  child: ChildProcess;
  /** Resolves when the process has exited, whatever the reason. */
  exited: Promise<void>;
  alive(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

export function supervise(child: ChildProcess, name: string, output: (line: string) => void): Supervised {
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream }).on('line', (line) => output(`[${name}] ${line}`));
  }
  const alive = () => child.exitCode === null && child.signalCode === null;
  const exited = new Promise<void>((resolve) => {
    if (!alive()) resolve();
    child.once('exit', () => resolve());
  });
  const stop = async (graceMs = 5_000): Promise<void> => {
    if (!alive()) return;
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    if (alive()) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  return { child, exited, alive, stop };
}
