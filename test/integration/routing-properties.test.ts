import { dynamoStores } from '../support/routing-harness';
import { routingProperties, routingScenarios } from '../support/routing-properties';

// The same properties as test/unit/routing-properties.test.ts, over the DynamoDB adapter and
// DynamoDB Local (a fresh table per run); fewer runs, each one costs real requests.
const backend = { name: 'DynamoDB Local', stores: dynamoStores };
routingProperties(backend, { runs: 6, steps: 30, timeout: 240_000 });
routingScenarios(backend);
