import type { AwsJsonClient } from '../aws-json';
import { unmarshall, type AttributeValue } from './attribute-values';
import type { Schema } from './table';

/**
 * The table's `get` over `fetch` (DynamoDB GetItem in the AWS JSON protocol), for the webhooks,
 * which read one item by key and carry no AWS SDK. Same contract as `Table.get`.
 */
export class FetchTable {
  constructor(
    private readonly client: AwsJsonClient,
    readonly name: string,
  ) {}

  async get<T>(schema: Schema<T>, pk: string, sk: string, consistent = false): Promise<T | undefined> {
    const out = await this.client.call<{ Item?: Record<string, AttributeValue> }>('GetItem', {
      TableName: this.name,
      Key: { pk: { S: pk }, sk: { S: sk } },
      ConsistentRead: consistent,
    });
    return out.Item ? schema.parse(unmarshall(out.Item)) : undefined;
  }
}
