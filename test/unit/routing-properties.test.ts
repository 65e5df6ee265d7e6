import { routingProperties, routingScenarios } from '../support/routing-properties';
import { memoryStores } from '../support/memory-stores';

// The in-memory stores keep the DynamoDB adapter's semantics (see memory-stores.ts); the same
// properties run over DynamoDB Local in test/integration/routing-properties.test.ts.
const backend = { name: 'in memory', stores: async () => memoryStores() };
routingProperties(backend, { runs: 100, steps: 60, timeout: 60_000 });
routingScenarios(backend);
