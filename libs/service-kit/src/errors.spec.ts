import { catalogProblems } from './index';

describe('catalogProblems', () => {
  const doc = '| code | HTTP | meaning |\n| --- | --- | --- |\n| 100001 | 200 | ok |\n| 100002 | 500 | internal |';

  it('passes a documented catalog', () => {
    expect(catalogProblems({ OK: { code: 100001, status: 200, message: 'ok' } }, doc)).toEqual([]);
  });

  it('names undocumented codes, wrong statuses and reused codes', () => {
    const problems = catalogProblems(
      {
        OK: { code: 100001, status: 200, message: 'ok' },
        NEW: { code: 100009, status: 400, message: 'new' },
        WRONG_STATUS: { code: 100002, status: 503, message: 'x' },
        AGAIN: { code: 100001, status: 200, message: 'dup' },
      },
      doc,
    );
    expect(problems).toEqual(['NEW (100009, HTTP 400) is not documented', 'WRONG_STATUS (100002, HTTP 503) is not documented', 'AGAIN reuses code 100001 of OK']);
  });
});
