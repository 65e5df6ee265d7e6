/**
 * `npm run reshard -- --table <name>`: once, after deploying the sharded index keys over a table
 * written before them, moves its items into their shards (functions/adapters/dynamodb/reshard.ts).
 * Uses the AWS credentials and region of the environment (AWS_REGION, AWS_PROFILE …);
 * `--endpoint` for DynamoDB Local. Safe to run again and while the stack serves.
 */
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { reshard } from '../functions/adapters/dynamodb/reshard';
import { Table } from '../functions/adapters/dynamodb/table';

const { values } = parseArgs({ options: { table: { type: 'string' }, endpoint: { type: 'string' } } });
if (!values.table) {
  console.error('missing --table (the stack output TableName)');
  process.exit(2);
}
const client = DynamoDBDocumentClient.from(new DynamoDBClient(values.endpoint ? { endpoint: values.endpoint } : {}), { marshallOptions: { removeUndefinedValues: true } });
const { moved } = await reshard(new Table(client, values.table));
console.log(`moved ${moved} items into their shards`);
client.destroy();
