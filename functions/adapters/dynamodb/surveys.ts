import * as z from 'zod/mini';
import { surveySettingsSchema, type SurveySettings } from '../../domain/model';
import type { Outcome, SurveyStore } from '../../domain/ports';
import { keys, ttlAfter } from './keys';
import { lostRace, type Table } from './table';

/**
 *   AUTOMSG#<channelId> | SURVEY                      a channel's survey, beside its automated messages
 *   SURVEYWAIT#<channelId>#<customerId> | SURVEYWAIT  the chat whose comment the customer may send now (TTL)
 * The answer itself is the closed chat's `survey` attribute.
 */
export class DynamoSurveys implements SurveyStore {
  constructor(private readonly table: Table) {}

  settings(channelId: string): Promise<SurveySettings | undefined> {
    return this.table.get(surveySettingsSchema, `AUTOMSG#${channelId}`, 'SURVEY');
  }

  async saveSettings(channelId: string, settings: SurveySettings): Promise<void> {
    await this.table.put({ pk: `AUTOMSG#${channelId}`, sk: 'SURVEY', ...settings });
  }

  async markSent(chatId: string, at: Date): Promise<boolean> {
    return this.conditional(() =>
      this.table.update({
        ...keys.chat(chatId),
        update: 'SET surveySentAt = :at',
        condition: 'attribute_exists(pk) AND attribute_not_exists(surveySentAt)',
        values: { ':at': at.toISOString() },
      }),
    );
  }

  async answer(chatId: string, answer: { rating: number; answeredAt: string }): Promise<Outcome> {
    const done = await this.conditional(() =>
      this.table.update({
        ...keys.chat(chatId),
        update: 'SET survey = :survey',
        condition: '#state = :closed AND attribute_exists(surveySentAt) AND attribute_not_exists(survey)',
        names: { '#state': 'state' },
        values: { ':survey': answer, ':closed': 'closed' },
      }),
    );
    return done ? 'done' : 'lost';
  }

  async comment(chatId: string, comment: string): Promise<boolean> {
    return this.conditional(() =>
      this.table.update({
        ...keys.chat(chatId),
        update: 'SET survey.#comment = :comment',
        condition: 'attribute_exists(survey) AND attribute_not_exists(survey.#comment)',
        names: { '#comment': 'comment' },
        values: { ':comment': comment },
      }),
    );
  }

  async awaitComment(channelId: string, customerId: string, chatId: string, until: Date): Promise<void> {
    await this.table.put({ ...waitKey(channelId, customerId), chatId, until: until.toISOString(), ttl: ttlAfter(until, 3600) });
  }

  async awaitedComment(channelId: string, customerId: string, now: Date): Promise<string | undefined> {
    const k = waitKey(channelId, customerId);
    const wait = await this.table.get(z.object({ chatId: z.string(), until: z.string() }), k.pk, k.sk, true);
    return wait && Date.parse(wait.until) > now.getTime() ? wait.chatId : undefined;
  }

  private async conditional(write: () => Promise<unknown>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (error) {
      if (lostRace(error)) return false;
      throw error;
    }
  }
}

function waitKey(channelId: string, customerId: string): { pk: string; sk: string } {
  return { pk: `SURVEYWAIT#${channelId}#${customerId}`, sk: 'SURVEYWAIT' };
}
