import { createRequire } from 'node:module';
import { isBatonError } from '@baton/core';
import { type Invocation, parseArguments, UsageError } from './arguments.js';
import { reportError } from './commands/common.js';
import { doctorCommand } from './commands/doctor.js';
import { leaderCommand } from './commands/leader.js';
import { observeCommand } from './commands/observe.js';
import { runCommand } from './commands/run.js';
import { ExitStatus, statusForError } from './exit-status.js';
import { type CommandName, commandHelp, generalHelp, usageLines } from './help.js';
import { Output, type Streams } from './output.js';

/**
 * Runs `baton` with `args` (without the node and script paths) and resolves with its exit
 * status. Never rejects: every error becomes a printed message and a documented status.
 */
export async function main(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  streams: Streams = { out: process.stdout, err: process.stderr },
): Promise<number> {
  let invocation: Invocation;
  try {
    invocation = parseArguments(args, env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    const output = new Output('text', streams);
    output.text('err', `baton: ${error.message}`);
    printUsage(output, error.command);
    return ExitStatus.usage;
  }
  if (invocation.command === 'help') {
    new Output('text', streams).text('out', invocation.topic ? commandHelp(invocation.topic) : generalHelp());
    return ExitStatus.ok;
  }
  if (invocation.command === 'version') {
    new Output('text', streams).text('out', version());
    return ExitStatus.ok;
  }
  const output = new Output(invocation.output, streams);
  try {
    switch (invocation.command) {
      case 'run':
        return await runCommand(invocation, output);
      case 'leader':
        return await leaderCommand(invocation, output);
      case 'observe':
        return await observeCommand(invocation, output);
      case 'doctor':
        return await doctorCommand(invocation, output);
    }
  } catch (error) {
    reportError(output, error);
    if (isBatonError(error, 'ERR_INVALID_ARGUMENT') && output.mode !== 'json') printUsage(output, invocation.command);
    return statusForError(error);
  }
}

function printUsage(output: Output, command: CommandName | undefined): void {
  if (command) output.text('err', `usage: ${usageLines[command]}`);
  output.text('err', `Run 'baton help${command ? ` ${command}` : ''}' for more.`);
}

function version(): string {
  const { version } = createRequire(import.meta.url)('../package.json') as { version: string };
  return `baton ${version} (node ${process.version})`;
}
