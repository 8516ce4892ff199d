// Writes infra/helm/usersys/files/contract.json: the parts of the Helm chart that come from the
// code (topic names from libs/event-schema), since Helm cannot import TypeScript.
//
//   node --import tsx tools/helm-contract.ts     (tools/helm-contract.spec.ts fails while it is stale)
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { TOPICS } from '@usersys/event-schema';
import { exitOnHelp } from './cli';

export const HELM_CONTRACT_FILE = path.resolve(__dirname, '../infra/helm/usersys/files/contract.json');

/** The file's exact text: topic names by role (the chart's kafka.partitions are keyed by the same roles). */
export function helmContractText(): string {
  const contract = {
    generatedBy: 'node --import tsx tools/helm-contract.ts (do not edit)',
    topics: { ...TOPICS },
  };
  return `${JSON.stringify(contract, null, 2)}\n`;
}

if (require.main === module) {
  exitOnHelp('usage: node --import tsx tools/helm-contract.ts\nRewrites infra/helm/usersys/files/contract.json from libs/event-schema (no options).');
  writeFileSync(HELM_CONTRACT_FILE, helmContractText());
  console.log(`wrote ${path.relative(process.cwd(), HELM_CONTRACT_FILE)}`);
}
