import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { linesForTrace, logFiles, renderLogLine } from './logs';

describe('trace CLI log search', () => {
  it('finds the JSON lines of one trace across service logs and sub-directories, in time order', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'trace-logs-'));
    mkdirSync(path.join(dir, 'e2e'));
    const id = 'a'.repeat(32);
    writeFileSync(path.join(dir, 'user-command.log'), [JSON.stringify({ time: '2026-01-01T00:00:02Z', service: 'user-command', level: 'info', msg: 'accepted', trace_id: id, username: 'alice' }), 'not json ' + id, JSON.stringify({ time: '2026-01-01T00:00:03Z', trace_id: 'b'.repeat(32), msg: 'other' })].join('\n'));
    writeFileSync(path.join(dir, 'e2e', 'auth-gateway.log'), JSON.stringify({ time: '2026-01-01T00:00:01Z', service: 'auth-gateway', level: 'info', msg: 'request', trace_id: id }) + '\n');
    const lines = await linesForTrace(id, logFiles([dir]));
    expect(lines.map((l) => l.msg)).toEqual(['request', 'accepted']);
    expect(renderLogLine(lines[1])).toBe('2026-01-01T00:00:02Z user-command  info  accepted  username=alice');
  });
});
