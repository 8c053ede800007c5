import { exitStatusTable } from './exit-status.js';

export type CommandName = 'run' | 'leader' | 'observe' | 'doctor';

export const commandNames: readonly CommandName[] = ['run', 'leader', 'observe', 'doctor'];

/** The one-line synopsis of each command, printed with every usage error. */
export const usageLines: Readonly<Record<CommandName, string>> = {
  run: 'baton run [--url URL] [--ttl MS] [--id ID] [--value V] [--kill-after MS] [--once] [--no-wait] [--json|--quiet] ELECTION -- COMMAND [ARGS...]',
  leader: 'baton leader [--url URL] [--json|--quiet] ELECTION',
  observe: 'baton observe [--url URL] [--json] ELECTION',
  doctor: 'baton doctor [--url URL] [--ttl MS] [--json]',
};

const details: Readonly<Record<CommandName, string>> = {
  run: `Runs COMMAND only while this process leads ELECTION. When elected, COMMAND starts in its
own process group, with stdio inherited and BATON_ELECTION, BATON_TOKEN (the fencing token,
decimal), BATON_LEADER_ID and BATON_TTL_MS in its environment. When leadership is lost, the
group gets SIGTERM at once and SIGKILL before the store could let another process lead.
SIGINT, SIGTERM and SIGHUP are forwarded to COMMAND; once it has exited, leadership is
released at once and baton exits with COMMAND's status.

  --ttl MS            lease/session ttl asked of the store (default 10000; the store may raise it)
  --id ID             this candidate's id as others see it (default HOST:PID-RANDOM)
  --value V           a value published with the leadership (e.g. this replica's address)
  --kill-after MS     grace between SIGTERM and SIGKILL (default 10000); on a loss it is cut
                      short so that the command is gone before a successor can be elected
  --once              exit after one term instead of campaigning again after a loss
  --no-wait           exit at once with status 75 if another process leads (for cron)
  --verbose           also print the store client's own warnings and debug lines`,
  leader: `Prints the current leader of ELECTION (id, token, value). Exit 0 when someone leads,
3 when nobody does. --quiet prints nothing: the status alone answers.`,
  observe: `Prints one line per change of ELECTION's leader, vacancies included, starting with the
current state, until interrupted (SIGINT or SIGTERM, exit 0).`,
  doctor: `Connects to the store and prints the backend kind, the ttl in force, its capabilities and
a measured round trip; or the typed error and what to check.`,
};

const commonOptions = `  --url URL               the store (or BATON_URL): memory://, etcd://host:2379, zookeeper://host:2181,
                          consul://host:8500, redis://host:6379, postgres://user:pass@host/db,
                          kubernetes:// (in a pod; see each adapter's README)
  --connect-timeout MS    give up connecting after MS (default 5000)
  --json                  one JSON object per line instead of text
  --quiet                 print nothing but errors
  -h, --help              this help`;

/** `baton help` / `baton --help`: every command and the exit statuses. */
export function generalHelp(): string {
  const statuses = exitStatusTable.flatMap((row) => {
    const [first = '', ...rest] = wrap(`${plain(row.commands)}: ${plain(row.meaning)}`, 70);
    return [`  ${row.status.padEnd(7)}${first}`, ...rest.map((line) => `         ${line}`)];
  });
  return [
    'baton: run a program only while it leads an election, and read elections.',
    '',
    'usage:',
    ...commandNames.map((name) => `  ${usageLines[name]}`),
    '',
    "Run 'baton help COMMAND' for a command's options.",
    '',
    'exit statuses:',
    ...statuses,
    '',
  ].join('\n');
}

const plain = (markdown: string): string => markdown.replaceAll('`', '');

/** Splits `text` into lines of at most `width` characters, at spaces. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** `baton help COMMAND` / `baton COMMAND --help`. */
export function commandHelp(name: CommandName): string {
  return [`usage: ${usageLines[name]}`, '', details[name], '', 'options:', commonOptions, ''].join('\n');
}
