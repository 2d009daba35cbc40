// Brings the local stack up for the test run (unless it already answers) and points the tests at
// it through the environment. A stack this run started is stopped again at the end, so a test run
// leaves the machine as it found it.
import { stackDown, stackEnv, stackStatus, stackUp } from '../../scripts/stack/index.js';

export default async function setup(): Promise<() => Promise<void>> {
  const before = await stackStatus();
  if (!before.ok) await stackUp((line) => console.log(line));
  Object.assign(process.env, stackEnv());
  return async () => {
    if (!before.ok && !process.env.DEPLOYER_KEEP_STACK) await stackDown();
  };
}
