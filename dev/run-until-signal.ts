// The main of `npm start` and `npm run start:cloud`: start something, print its lines, and on SIGINT/SIGTERM
// close it and exit 0 (1 if closing failed); a failure to start is printed with `what` and exits 1.

export async function runUntilSignal(what: string, start: (log: (line: string) => void) => Promise<{ close(): Promise<void> }>): Promise<void> {
  const print = (line: string) => void process.stdout.write(line + '\n');
  try {
    const running = await start(print);
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      print(`${signal} received, shutting down`);
      running.close().then(
        () => process.exit(0),
        (e: unknown) => {
          process.stderr.write(`shutdown failed: ${(e as Error)?.message ?? String(e)}\n`);
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  } catch (e) {
    process.stderr.write(`${what} failed to start: ${(e as Error)?.message ?? String(e)}\n`);
    process.exit(1);
  }
}
