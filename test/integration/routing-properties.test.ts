import { dynamoStores } from '../support/routing-harness';
import { routingProperties } from '../support/routing-properties';

// The same properties as test/unit/routing-properties.test.ts, over the DynamoDB adapter and
// DynamoDB Local (a fresh table per run); fewer runs, each one costs real requests.
routingProperties({ name: 'DynamoDB Local', stores: dynamoStores }, { runs: 6, steps: 30, timeout: 240_000 });
