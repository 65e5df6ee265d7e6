import { routingProperties } from '../support/routing-properties';
import { memoryStores } from '../support/memory-stores';

// The in-memory stores keep the DynamoDB adapter's semantics (see memory-stores.ts); the same
// properties run over DynamoDB Local in test/integration/routing-properties.test.ts.
routingProperties({ name: 'in memory', stores: async () => memoryStores() }, { runs: 100, steps: 60, timeout: 60_000 });
