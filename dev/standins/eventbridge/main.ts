// Runs the EventBridge stand-in alone (e.g. to point the real-service contract block at it):
// EVENTBRIDGE_STANDIN_PORT (default 9200), EVENTBRIDGE_STANDIN_BUSES (comma-separated, default `default`).
import { startEventBridgeStandin, STANDIN_ACCESS_KEY } from './server.ts';

const standin = await startEventBridgeStandin({
  port: Number(process.env.EVENTBRIDGE_STANDIN_PORT ?? 9200),
  buses: (process.env.EVENTBRIDGE_STANDIN_BUSES ?? 'default').split(',').map((b) => b.trim()).filter(Boolean),
});
console.log(`EventBridge stand-in on ${standin.endpoint} (protocol http); access key ${STANDIN_ACCESS_KEY.accessKeyId} / ${STANDIN_ACCESS_KEY.accessKeySecret}`);
const stop = () => void standin.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
