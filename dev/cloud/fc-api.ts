// The rehearsal's FC API: the FC API stand-in over the running function processes, so `npm run ops` can be
// rehearsed locally. InvokeFunction runs an event invocation as the triggers do; ListTriggers reads s.yaml.
import type { LoadedFunction } from '../runtime/functions.ts';
import type { Invocations } from '../runtime/invocations.ts';
import { startFcStandin, type FcStandin, type FcStandinCredentials, type FcStandinTrigger } from '../standins/fc/fc-standin.ts';

export interface RehearsalFcApi {
  standin: FcStandin;
  close(): Promise<void>;
}

/** What FC answers for a function's result: JSON for a value, the bytes of a string or a Buffer. */
function resultBody(result: unknown): Buffer | string {
  if (Buffer.isBuffer(result) || typeof result === 'string') return result;
  return JSON.stringify(result ?? null);
}

/**
 * Serves the FC API for `functions` on loopback. `frontUrl` stands in for every http trigger's URLs (the front
 * port serves them all); `credentials` are the operator's keys it accepts.
 */
export async function startRehearsalFcApi(functions: readonly LoadedFunction[], invocations: Invocations, frontUrl: string, credentials: FcStandinCredentials[]): Promise<RehearsalFcApi> {
  const byName = new Map(functions.map((f) => [f.spec.functionName, f]));
  const triggers = (f: LoadedFunction): FcStandinTrigger[] =>
    f.spec.triggers.map((t) => ({
      triggerName: t.triggerName,
      triggerType: t.triggerType,
      triggerConfig: JSON.stringify(t.triggerConfig),
      ...(t.triggerType === 'http' ? { httpTrigger: { urlInternet: frontUrl, urlIntranet: frontUrl } } : {}),
    }));
  const standin = await startFcStandin({
    functions: Object.fromEntries(functions.map((f) => [f.spec.functionName, triggers(f)])),
    credentials,
    invoke: async (name, body) => {
      const fn = byName.get(name)!;
      if (!fn.event) throw new Error(`${fn.name} takes no event invocations`);
      let event: unknown;
      try {
        event = JSON.parse(body.toString('utf8'));
      } catch {
        // the runtime hands the function JSON; anything else goes as a JSON string
        event = body.toString('utf8');
      }
      // a failure propagates: the stand-in answers it as FC answers a function error (x-fc-error-type)
      return { status: 200, body: resultBody(await invocations.invoke(fn, 'fc-api', 'api', event)) };
    },
  });
  return { standin, close: () => standin.close() };
}
