import { cpuMsPerSecond, figureValue, shippedCosts, vcpuFor } from './sizing';

const result = (figures: Record<string, number>) => ({ date: '2026-12-02', figures: Object.entries(figures).map(([figure, value]) => ({ figure, value })) });

describe('the sizing model (docs/capacity.md)', () => {
  const files: Record<string, ReturnType<typeof result>> = {
    login: result({ '  (a) cache hits: whole-system CPU per op (services + …)': 0.4, '  (b) cache misses, cost 10: whole-system CPU per op (…)': 66 }),
    refresh: result({ '  check cache on, per refresh: whole-system CPU per op (…)': 0.25, '  check cache on, tracing off, per refresh: whole-system CPU per op': 0.2 }),
    'e2e-create': result({ '  sign-up per accepted create, bcrypt cost 4, c=64: whole-system CPU per op (…)': 7, '  sign-up per accepted create, bcrypt cost 4, c=64: user-command CPU per op': 3 }),
    'create-capacity': result({ '  user-command CPU per accepted create (all threads), 80%, open loop, bcrypt cost 10': 73, '  user-command CPU per accepted create (all threads), 150%, open loop': 74 }),
  };
  const { costs, signUpCost4 } = shippedCosts((name) => files[name]);

  it('takes the shipped per-operation costs from the result files', () => {
    expect(costs.login).toBe(0.4);
    expect(costs.loginUncached).toBe(66);
    expect(costs.refresh).toBe(0.25);
    expect(signUpCost4).toBe(7);
  });

  it("derives the cost-10 sign-up: the cost-4 system with user-command's CPU at cost 10", () => {
    expect(costs.signUp).toBe(7 - 3 + 73);
  });

  it('adds a mix up linearly and converts to vCPU', () => {
    expect(cpuMsPerSecond({ login: 100, refresh: 1000 }, costs)).toBeCloseTo(40 + 250);
    expect(vcpuFor('signUp', 100, costs)).toBeCloseTo(7.7);
  });

  it('refuses an ambiguous or missing figure name', () => {
    expect(() => figureValue(files.refresh, '  check cache on')).toThrow(/2 figures/);
    expect(() => figureValue(files.refresh, 'nothing')).toThrow(/0 figures/);
  });

  it('reads the repository result files (bench/results)', () => {
    const shipped = shippedCosts().costs;
    for (const v of Object.values(shipped)) expect(v).toBeGreaterThan(0);
    expect(shipped.signUp).toBeGreaterThan(shipped.loginUncached * 0.5);
  });
});
