import { readFile } from 'node:fs/promises';

/** The ```ts blocks of a markdown file, in order, with the heading each falls under. */
export async function typescriptBlocks(path: string | URL): Promise<{ heading: string; code: string }[]> {
  const text = await readFile(path, 'utf8');
  const blocks: { heading: string; code: string }[] = [];
  let heading = '';
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (/^#{1,6} /.test(line)) heading = line.replace(/^#+ /, '');
    if (line.trim() === '```ts') {
      const code: string[] = [];
      for (i++; i < lines.length && (lines[i] as string).trim() !== '```'; i++) code.push(lines[i] as string);
      blocks.push({ heading, code: `${code.join('\n')}\n` });
    }
  }
  return blocks;
}
