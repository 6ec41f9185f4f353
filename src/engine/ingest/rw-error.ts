/**
 * A remote-write request the receiver refuses (the engine answers 400 with this one line): what
 * was wrong and the byte offset in the uncompressed WriteRequest where it was found.
 */
export class RemoteWriteError extends Error {
  constructor(
    readonly what: string,
    readonly offset: number,
  ) {
    super(`${what} at byte ${offset}`);
    this.name = 'RemoteWriteError';
  }
}
