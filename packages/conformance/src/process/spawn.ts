import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ChildResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly lines: Record<string, string>[];
  readonly stderr: string;
  readonly timedOut: boolean;
}

/**
 * Runs one of the suite's child scripts in a fresh Node process and collects its JSON
 * lines. From sources (under vitest) the script is TypeScript and runs through tsx with
 * the "source" export condition; from a build it is plain JavaScript.
 */
export function runChild(script: string, argument: unknown, timeoutMs: number): Promise<ChildResult> {
  const fromSource = import.meta.url.endsWith('.ts');
  const path = fileURLToPath(new URL(`./${script}${fromSource ? '.ts' : '.js'}`, import.meta.url));
  const args = fromSource ? ['--conditions=source', '--import', 'tsx', path] : [path];
  const child = spawn(process.execPath, [...args, JSON.stringify(argument)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const lines = stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, string>);
      resolve({ code, signal, lines, stderr, timedOut });
    });
  });
}
