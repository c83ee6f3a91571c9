// What the local runtime says when a port it was told to use is taken: the variable that named it and how
// to pick another, instead of a bare EADDRINUSE.
import { ConfigError } from '../../shared/config/config.ts';

/** Runs `listen`; a port already in use (or not ours to take) becomes a ConfigError naming `variable`. */
export async function listenOn<T>(variable: 'PORT' | 'EMULATOR_PORT', port: number, listen: () => Promise<T>): Promise<T> {
  try {
    return await listen();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'EADDRINUSE') {
      throw new ConfigError(
        `${variable}=${port}: port ${port} is already in use (another \`npm start\` or emulator?); set ${variable} to another port, or to 0 for any free one`,
        [variable],
      );
    }
    if (code === 'EACCES') {
      throw new ConfigError(`${variable}=${port}: not allowed to listen on port ${port}; set ${variable} to a port above 1023, or to 0 for any free one`, [variable]);
    }
    throw e;
  }
}
