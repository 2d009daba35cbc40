// `deployer <command>`: the command line for people and pipelines.
import { UsageError } from './cli/args.js';
import { InvalidRequestError } from './domain/request-rules.js';
import {
  approveCommand,
  cancelCommand,
  deployCommand,
  diffCommand,
  historyCommand,
  rejectCommand,
  rollbackCommand,
  statusCommand,
  stopCommand,
  type CliIo,
} from './cli/deploy-commands.js';
import { adminCommands } from './cli/admin-commands.js';
import { notifyCommands } from './cli/notify-commands.js';
import { loginCommand } from './cli/login-command.js';
import { NotLoggedInError } from './cli/credentials.js';

type Command = (args: string[], io: CliIo) => Promise<number>;

export const commands: Record<string, { run: Command; usage: string }> = {
  deploy: {
    run: deployCommand,
    usage: 'deploy --project P --env E --image I [--values JSON] [--secret-file NAME=FILE…] [--delete-secret NAME…] [--reason R] [--override-freeze] [--wait [--timeout S]]   (--override-freeze: through a freeze window; needs --reason and an admin token)',
  },
  diff: { run: diffCommand, usage: 'diff --project P --env E --image I [--values JSON] [--json]   (what the deploy would change; changes nothing)' },
  rollback: { run: rollbackCommand, usage: 'rollback --project P --env E [--to RELEASE] [--reason R] [--override-freeze] [--wait]   (--override-freeze: as for deploy)' },
  stop: { run: stopCommand, usage: 'stop --project P --env E [--wait]' },
  cancel: { run: cancelCommand, usage: 'cancel --project P --env E' },
  approve: { run: approveCommand, usage: 'approve --project P --env E --request ID [--reason R]   (the deploy or rollback waiting for approval; deploy:approve token)' },
  reject: { run: rejectCommand, usage: 'reject --project P --env E --request ID [--reason R]   (refuses the deploy or rollback waiting for approval)' },
  status: { run: statusCommand, usage: 'status --project P --env E [--json]' },
  history: { run: historyCommand, usage: 'history --project P --env E [--diff] [--json]' },
  login: { run: loginCommand, usage: 'login --url URL --token TOKEN   (or DEPLOYER_URL, DEPLOYER_TOKEN)' },
  ...adminCommands,
  ...notifyCommands,
};

/** The SDK's request fields by the names the command line gives them. */
const optionOf: Record<string, string> = {
  project: '--project',
  environment: '--env',
  imageRef: '--image',
  valuesOverride: '--values',
  reason: '--reason',
  requestId: '--request-id',
  requestedBy: 'DEPLOYER_USER (or USER)',
  decidedBy: 'DEPLOYER_USER (or USER)',
};

export function usage(): string {
  return ['usage: deployer <command> [options]', '', ...Object.values(commands).map((c) => `  deployer ${c.usage}`)].join('\n');
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  // Two-word commands: `env register`, `ops-repo add`, `token create`.
  const twoWord = name && rest[0] && commands[`${name} ${rest[0]}`] ? `${name} ${rest[0]}` : undefined;
  const command = twoWord ? commands[twoWord] : name ? commands[name] : undefined;
  if (!command || name === 'help' || name === '--help') {
    (command || name === 'help' || name === '--help' ? io.out : io.err)(usage());
    return name === 'help' || name === '--help' ? 0 : 2;
  }
  try {
    return await command.run(twoWord ? rest.slice(1) : rest, io);
  } catch (error) {
    if (error instanceof NotLoggedInError) {
      io.err(`deployer: ${error.message}`);
      return 2;
    }
    if (error instanceof UsageError) {
      io.err(`deployer: ${error.message}\nusage: deployer ${command.usage}`);
      return 2;
    }
    // The SDK refused the request by the rules the API applies too: name the options at fault.
    if (error instanceof InvalidRequestError) {
      const option = (field: string) => optionOf[field] ?? (field.startsWith('valuesOverride.') ? `--values${field.slice('valuesOverride'.length)}` : field);
      io.err(`deployer: ${error.problems.map((p) => `${option(p.field)} ${p.message}`).join('; ')}\nusage: deployer ${command.usage}`);
      return 2;
    }
    io.err(`deployer: ${(error as Error).message}`);
    return 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runCli(process.argv.slice(2), { out: (l) => console.log(l), err: (l) => console.error(l), env: process.env }).then(
    (code) => process.exit(code),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
