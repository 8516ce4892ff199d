import { isIP } from 'node:net';
import { parseDuration } from './duration';

/** Bad configuration must stop start-up with one line that names the variable. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`config: ${variable}: ${reason}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function raw(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

export function envString(env: Env, name: string, fallback?: string): string {
  const value = raw(env, name) ?? fallback;
  if (value === undefined) throw new ConfigError(name, 'is required');
  return value;
}

export function envInt(env: Env, name: string, fallback: number, range: { min?: number; max?: number } = {}): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (!/^-?\d+$/.test(value)) throw new ConfigError(name, `"${value}" is not an integer`);
  const n = Number(value);
  if (range.min !== undefined && n < range.min) throw new ConfigError(name, `${n} is below the minimum ${range.min}`);
  if (range.max !== undefined && n > range.max) throw new ConfigError(name, `${n} is above the maximum ${range.max}`);
  return n;
}

export function envBool(env: Env, name: string, fallback: boolean): boolean {
  const value = raw(env, name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off'].includes(value)) return false;
  throw new ConfigError(name, `"${value}" is not a boolean (use true or false)`);
}

export function envDurationMs(env: Env, name: string, fallback: string, range: { minMs?: number } = {}): number {
  const value = raw(env, name) ?? fallback;
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch (err) {
    throw new ConfigError(name, (err as Error).message);
  }
  if (range.minMs !== undefined && ms < range.minMs) throw new ConfigError(name, `${value} is shorter than ${range.minMs}ms`);
  return ms;
}

export function envEnum<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const value = raw(env, name) ?? fallback;
  if (!allowed.includes(value as T)) throw new ConfigError(name, `"${value}" is not one of ${allowed.join(', ')}`);
  return value as T;
}

export function envUrl(env: Env, name: string, fallback: string, protocols: string[]): string {
  const value = raw(env, name) ?? fallback;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, 'is not a valid URL');
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(name, `must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  }
  return value;
}

export function envList(env: Env, name: string, fallback: string): string[] {
  const list = (raw(env, name) ?? fallback)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.length === 0) throw new ConfigError(name, 'must list at least one entry');
  return list;
}

/**
 * A comma-separated list of URLs, each reduced to its origin (`http://host:port`), or null when
 * unset. Origins, so two services that spell one URL differently still name the same member.
 */
export function envUrlList(env: Env, name: string, protocols: string[]): string[] | null {
  const value = raw(env, name);
  if (value === undefined) return null;
  const origins = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      let url: URL;
      try {
        url = new URL(entry);
      } catch {
        throw new ConfigError(name, `"${entry}" is not a valid URL`);
      }
      if (!protocols.includes(url.protocol)) throw new ConfigError(name, `"${entry}" must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
      return url.origin;
    });
  if (origins.length === 0) throw new ConfigError(name, 'must list at least one URL');
  if (new Set(origins).size !== origins.length) throw new ConfigError(name, 'lists one URL twice');
  return origins;
}

/** `host:port,host:port` (empty or unset: an empty list). */
export function envHostPorts(env: Env, name: string): string[] {
  const list = (raw(env, name) ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const entry of list) {
    const m = /^(.+):(\d+)$/.exec(entry);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new ConfigError(name, `"${entry}" is not host:port`);
  }
  return list;
}

/** One directory name (a WAL's, under WAL_DIR): no separator, and not `.` or `..`, so it stays inside its parent. */
export function envDirName(env: Env, name: string, fallback: string): string {
  const value = envString(env, name, fallback);
  if (!/^[a-zA-Z0-9_.-]+$/.test(value) || value === '.' || value === '..') throw new ConfigError(name, 'use letters, digits, dot, dash or underscore (not . or ..)');
  return value;
}

/** A listen address: an IP address (`0.0.0.0`, `::`) or a host name, so a typo stops start-up here rather than as a bare listen error. */
export function envHost(env: Env, name: string, fallback: string): string {
  const value = envString(env, name, fallback);
  const hostName = /^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
  if (isIP(value) === 0 && !hostName.test(value)) throw new ConfigError(name, `"${value}" is not an IP address or host name`);
  return value;
}

export function envPort(env: Env, name: string, fallback: number): number {
  return envInt(env, name, fallback, { min: 0, max: 65535 });
}
