import { TemporalConnectError } from '../client/temporal-connection.js';

/**
 * How a process that could not start ends: a service it cannot reach (Temporal refused its TLS,
 * or is not there) is said in one line naming what to set, and exits 69 (EX_UNAVAILABLE); anything
 * else is a bug, printed whole.
 */
export function exitOnStartFailure(error: unknown): never {
  if (error instanceof TemporalConnectError) {
    console.error(`deployer: ${error.message}`);
    process.exit(69);
  }
  console.error(error);
  process.exit(1);
}
