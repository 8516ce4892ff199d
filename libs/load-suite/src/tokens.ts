import type { HttpClient } from './http-client';

interface TokenSet {
  accessToken: string;
  refreshToken: string;
  /** epoch ms when the access token expires */
  expiresAt: number;
}

/**
 * Keeps one account's access token fresh: refreshes it (rotating refresh token) a margin before it
 * expires, with at most one refresh in flight; falls back to a new login when the refresh fails.
 * The original load suite died when its 5-minute admin token expired; this one does not.
 */
export class TokenKeeper {
  private current: TokenSet | null = null;
  private inflight: Promise<TokenSet> | null = null;
  refreshes = 0;
  logins = 0;

  constructor(
    private readonly client: HttpClient,
    readonly username: string,
    private readonly password: string,
    private readonly marginMs = 30_000,
  ) {}

  async token(): Promise<string> {
    const now = Date.now();
    if (this.current && this.current.expiresAt - this.marginMs > now) return this.current.accessToken;
    this.inflight ??= this.renew().finally(() => {
      this.inflight = null;
    });
    return (await this.inflight).accessToken;
  }

  private async renew(): Promise<TokenSet> {
    if (this.current) {
      const res = await this.client.request('POST', '/v1/auth/refresh', { refreshToken: this.current.refreshToken });
      if (res.status === 200) {
        this.refreshes++;
        return (this.current = parseTokens(res.body));
      }
    }
    const res = await this.client.request('POST', '/v1/auth/login', { username: this.username, password: this.password });
    if (res.status !== 200) throw new Error(`login as ${this.username} failed with ${res.status}: ${res.body.slice(0, 200)}`);
    this.logins++;
    return (this.current = parseTokens(res.body));
  }
}

function parseTokens(body: string): TokenSet {
  const t = JSON.parse(body) as { accessToken: string; refreshToken: string; expiresIn: number };
  return { accessToken: t.accessToken, refreshToken: t.refreshToken, expiresAt: Date.now() + t.expiresIn * 1000 };
}
