import { readFileSync } from 'node:fs';
import { HELM_CONTRACT_FILE, helmContractText } from './helm-contract';

describe('Helm chart contract file', () => {
  it('matches libs/event-schema (regenerate: node --import tsx tools/helm-contract.ts)', () => {
    expect(readFileSync(HELM_CONTRACT_FILE, 'utf8')).toBe(helmContractText());
  });
});
