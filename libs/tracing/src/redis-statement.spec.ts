import { redisStatement } from './redis-statement';

describe('redisStatement', () => {
  it('keeps the command and its keys, never a script or values', () => {
    expect(redisStatement('eval', ['local x = redis.call(...)', '1', 'user:reserve:email:a@b.c', 'alice', '60000'])).toBe('eval user:reserve:email:a@b.c');
    expect(redisStatement('evalsha', ['9f86d08', '2', 'k1', 'k2', 'v'])).toBe('evalsha k1 k2');
    expect(redisStatement('set', ['user:pending:alice', '{"secret":1}', 'PX', '600000'])).toBe('set user:pending:alice');
    expect(redisStatement('get', [Buffer.from('user:cache:alice')])).toBe('get user:cache:alice');
    expect(redisStatement('ping', [])).toBe('ping');
  });
});
