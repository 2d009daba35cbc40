import { ConfigError, type Config } from '../config.js';

/** Loads the configuration or prints every problem and exits 78 (EX_CONFIG): no stack traces for bad input. */
export function exitOnConfigError(load: () => Config): Config {
  try {
    return load();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`deployer: ${error.message}`);
    process.exit(78);
  }
}
