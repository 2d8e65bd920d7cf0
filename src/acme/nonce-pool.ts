// RFC 8555 §7.2: every answer from an ACME server carries a fresh Replay-Nonce, good for one request.
// Signing the next request with it saves the HEAD newNonce round trip acme-client makes otherwise
// (about half of all requests to the CA). Each nonce is handed out once; a stale one costs a badNonce
// answer, which acme-client retries with the nonce that answer carries.

// Enough for the requests one issuer has in flight at once; older nonces are the likeliest to expire.
export const NONCE_POOL_SIZE = 16;

/** Unused nonces from one ACME server, newest first, bounded. */
export class NoncePool {
  private readonly nonces: string[] = [];
  private readonly capacity: number;

  constructor(capacity = NONCE_POOL_SIZE) {
    this.capacity = capacity;
  }

  /** Keeps a nonce the server sent, dropping the oldest when full. */
  put(nonce: string): void {
    this.nonces.push(nonce);
    if (this.nonces.length > this.capacity) this.nonces.shift();
  }

  /** The newest unused nonce, removed from the pool; undefined when none is left. */
  take(): string | undefined {
    return this.nonces.pop();
  }

  get size(): number {
    return this.nonces.length;
  }
}
