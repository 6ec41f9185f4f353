/** Target names as small integers, numbered in order of first sight (the head stores one per series). */
export class TargetIds {
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];

  /** The id of a target seen before, else -1 (allocates nothing). */
  find(name: string): number {
    return this.ids.get(name) ?? -1;
  }

  /** name's id, a new one on first sight (allocates then only). */
  id(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.ids.set(name, id);
    }
    return id;
  }

  name(id: number): string | undefined {
    return this.names[id];
  }
}
