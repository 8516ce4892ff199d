import pg from 'pg';

/** Thrown when the database cannot be reached; the message is one line and names DATABASE_URL. */
export class DatabaseUnreachableError extends Error {
  override name = 'DatabaseUnreachableError';
}

/** postgresql://user:secret@host/db → postgresql://user:***@host/db */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable URL>';
  }
}

function describePgError(err: unknown): string {
  const e = err as { message?: string; code?: string; errors?: { message?: string }[] };
  // Connecting to "localhost" tries ::1 and 127.0.0.1 and fails with an AggregateError whose message is empty.
  return e.message || e.errors?.map((x) => x.message).join('; ') || e.code || String(err);
}

async function tryConnect(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => {});
  try {
    await client.connect();
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Checks the database is reachable. With `create` (default), creates the database itself if the server says it
 * does not exist (as `prisma migrate deploy` does). Returns true if it was created.
 */
export async function ensureDatabaseExists(url: string, { create = true } = {}): Promise<boolean> {
  try {
    await tryConnect(url);
    return false;
  } catch (err) {
    if (!create || (err as { code?: string }).code !== '3D000') {
      throw new DatabaseUnreachableError(
        `Cannot connect to the database at DATABASE_URL=${redactUrl(url)}: ${describePgError(err)}`,
      );
    }
  }
  const target = new URL(url);
  const dbName = decodeURIComponent(target.pathname.slice(1));
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const client = new pg.Client({ connectionString: maintenance.toString(), connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query(`CREATE DATABASE "${dbName.replace(/"/g, '""')}"`);
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === '42P04') return false; // created concurrently by another migrator
    throw new DatabaseUnreachableError(
      `Database in DATABASE_URL=${redactUrl(url)} does not exist and could not be created: ${describePgError(err)}`,
    );
  } finally {
    await client.end().catch(() => {});
  }
}
