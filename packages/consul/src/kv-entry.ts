/** A KV entry as Consul returns it; `Value` decoded to text. */
export interface KvEntry {
  readonly Key: string;
  readonly Value: string | null;
  readonly Flags: number;
  readonly Session?: string;
  readonly CreateIndex: number;
  readonly ModifyIndex: number;
  readonly LockIndex: number;
}
