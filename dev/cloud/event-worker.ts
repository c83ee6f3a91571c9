// One built-in (nodejs20) function instance: loads the bundle's handler, as FC's runtime does, and runs each
// invocation the parent sends over IPC with the payload as a Buffer and a plain FC context.
import { pathToFileURL } from 'node:url';
import type { EventHandler, FcContext } from '../../shared/runtime/fc.ts';

export interface InvokeMessage {
  id: number;
  /** The payload, base64: FC hands the handler raw bytes. */
  event: string;
  context: FcContext;
}
export type ReplyMessage = { ready: true } | { id: number; ok: true; result: unknown } | { id: number; ok: false; error: { name: string; message: string } };

const [bundle, exportName = 'handler'] = process.argv.slice(2);
const mod = (await import(pathToFileURL(bundle!).href)) as Record<string, unknown>;
const handler = mod[exportName] as EventHandler | undefined;
if (typeof handler !== 'function') throw new Error(`${bundle} does not export a function named ${exportName}`);

const reply = (m: ReplyMessage) => process.send?.(m);
process.on('message', (m: InvokeMessage) => {
  void (async () => {
    try {
      const result = await handler(Buffer.from(m.event, 'base64'), m.context);
      reply({ id: m.id, ok: true, result: result === undefined ? null : result });
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      reply({ id: m.id, ok: false, error: { name: err.name, message: err.message.slice(0, 1000) } });
    }
  })();
});
// an instance outlives no runtime: when the parent goes, so does it
process.on('disconnect', () => process.exit(0));
// Ctrl-C reaches the whole process group; the parent drains the invocations in flight, then stops this one
process.on('SIGINT', () => undefined);
reply({ ready: true });
