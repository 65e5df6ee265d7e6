import * as z from 'zod/mini';
import { keys } from './keys';
import type { Table } from './table';

/**
 * What the webhooks read of the table: whether a Meta app is registered (and its verify token for
 * the handshake), and a channel's type. Read with `zod/mini` and only the fields a webhook uses, so
 * a webhook's bundle carries neither zod classic nor the product model (`domain/model.ts`, which
 * the directory validates every item with). The admin API writes these items with the full model.
 */
const webhookAppSchema = z.looseObject({ appId: z.string(), verifyToken: z.string() });
const webhookChannelSchema = z.looseObject({ id: z.string(), type: z.enum(['messenger', 'telegram']) });

export type WebhookApp = z.infer<typeof webhookAppSchema>;
export type WebhookChannel = z.infer<typeof webhookChannelSchema>;

export class WebhookDirectory {
  /** `table`: the SDK table, or the webhooks' `FetchTable`. */
  constructor(private readonly table: Pick<Table, 'get'>) {}

  messengerApp(appId: string): Promise<WebhookApp | undefined> {
    const k = keys.messengerApp(appId);
    return this.table.get(webhookAppSchema, k.pk, k.sk);
  }

  channel(id: string): Promise<WebhookChannel | undefined> {
    const k = keys.channel(id);
    return this.table.get(webhookChannelSchema, k.pk, k.sk);
  }
}
