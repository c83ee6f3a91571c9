// `npm run emulator`: the DashScope emulator on EMULATOR_PORT (default 9100) until Ctrl-C. Tuned by
// EMULATOR_TIME_SCALE, EMULATOR_FAULTS (README "Faults") and EMULATOR_STATE_DIR (state across restarts).
import { loadConfig } from '../../shared/config/config.ts';
import { startEmulator } from './server.ts';

const config = loadConfig();
const emu = await startEmulator({
  port: config.EMULATOR_PORT,
  timeScale: config.EMULATOR_TIME_SCALE,
  ...(config.EMULATOR_FAULTS ? { faults: config.EMULATOR_FAULTS } : {}),
  ...(config.EMULATOR_STATE_DIR ? { stateDir: config.EMULATOR_STATE_DIR } : {}),
});
console.log(`DashScope emulator listening on ${emu.url}`);
console.log(`  compatible mode: ${emu.url}/compatible-mode/v1   native: ${emu.url}/api/v1   control: ${emu.url}/_emulator/`);
if (config.EMULATOR_TIME_SCALE !== 1) console.log(`  clock runs ${config.EMULATOR_TIME_SCALE}x real time`);
if (config.EMULATOR_FAULTS) console.log(`  run-wide faults: ${config.EMULATOR_FAULTS}`);
if (config.EMULATOR_STATE_DIR) console.log(`  state kept in ${config.EMULATOR_STATE_DIR}`);

let closing = false;
const stop = () => {
  if (closing) return;
  closing = true;
  void emu.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
