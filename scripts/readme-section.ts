/**
 * README.md with the generated section between `<!-- NAME:start -->` and `<!-- NAME:end -->`
 * replaced by `body`, so that generated tables cannot drift from their source.
 */
export function withSection(readme: string, name: string, body: string): string {
  const startMarker = `<!-- ${name}:start -->`;
  const endMarker = `<!-- ${name}:end -->`;
  const start = readme.indexOf(startMarker);
  const end = readme.indexOf(endMarker);
  if (start < 0 || end < start) throw new Error(`README.md has no ${startMarker} ... ${endMarker} section`);
  return `${readme.slice(0, start + startMarker.length)}\n${body}\n${readme.slice(end)}`;
}
