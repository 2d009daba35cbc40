// `npm run stack -- up | down | status | env`: the local stack every test and `npm start` run on.
import { stackDown, stackEnv, stackStatus, stackUp } from './stack/index.js';

const usage = 'usage: npm run stack -- up | down | status | env';

async function main(command: string | undefined): Promise<number> {
  switch (command) {
    case 'up':
      await stackUp();
      console.log('[stack] use it from a shell with: eval "$(npm run -s stack -- env)"');
      return 0;
    case 'down': {
      const stopped = await stackDown();
      console.log(stopped.length ? `[stack] stopped ${stopped.join(', ')}` : '[stack] nothing was running');
      return 0;
    }
    case 'status': {
      const { ok, lines } = await stackStatus();
      for (const line of lines) console.log(line);
      return ok ? 0 : 1;
    }
    case 'env':
      for (const [name, value] of Object.entries(stackEnv())) {
        console.log(`export ${name}='${value.replaceAll("'", "'\\''")}'`);
      }
      return 0;
    default:
      console.error(usage);
      return 2;
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`[stack] ${error.message}`);
    process.exit(1);
  },
);
