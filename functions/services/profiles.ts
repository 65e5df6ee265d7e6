import type { CustomerProfile } from '../domain/inbound';
import { customerFrom } from '../domain/chat';
import { type CachedProfile, type Channel, type Customer } from '../domain/model';
import { type ChatStore, type Directory, type EventPublisher } from '../domain/ports';
import { GraphApiError, type MessengerPlatform } from '../domain/platforms';
import { secretNames } from '../domain/secret-names';
import type { SecretStore } from '../domain/ports';
import { logger } from '../shared/logger';

/** A cached profile is asked for again after this long (names and pictures change rarely). */
export const profileRefreshSeconds = 7 * 24 * 3600;
/** Kept a while past refresh so a Graph outage still shows a name. */
const profileKeepSeconds = 30 * 24 * 3600;

export interface ProfilesDeps {
  chats: ChatStore;
  directory: Directory;
  graph: Pick<MessengerPlatform, 'getProfile'>;
  secrets: Pick<SecretStore, 'prefix' | 'get' | 'forget'>;
  events: EventPublisher;
  clock: () => Date;
}

/**
 * Messenger customers' names and pictures, fetched once per customer and cached; a customer with
 * no profile for the Page (2018218) is shown by id, quietly. A rejected token (190) marks the
 * channel failed and says so on the bus.
 */
export class Profiles {
  constructor(private readonly deps: ProfilesDeps) {}

  async customerOf(channel: Channel, who: CustomerProfile): Promise<Customer> {
    if (channel.type !== 'messenger') return customerFrom(who);
    const cached = await this.deps.chats.cachedProfile(channel.id, who.id);
    const now = this.deps.clock();
    const fresh = cached && now.getTime() - Date.parse(cached.fetchedAt) < profileRefreshSeconds * 1000;
    const profile = fresh ? cached : ((await this.fetch(channel, who.id, now)) ?? cached);
    if (!profile || profile.none) return customerFrom(who);
    const customer = customerFrom({
      ...who,
      ...(profile.firstName ? { firstName: profile.firstName } : {}),
      ...(profile.lastName ? { lastName: profile.lastName } : {}),
      // Meta's locale (pt_BR) is the customer's language; customerFrom makes it a tag (pt-BR)
      ...(profile.locale ? { languageCode: profile.locale } : {}),
    });
    return { ...customer, ...(profile.profilePic ? { avatarUrl: profile.profilePic } : {}) };
  }

  private async fetch(channel: Channel, psid: string, now: Date): Promise<CachedProfile | undefined> {
    const { chats, secrets } = this.deps;
    if (channel.provisioningState === 'failed') return undefined;
    const tokenName = secretNames.channelToken(secrets.prefix, channel.id);
    const token = await secrets.get(tokenName);
    if (!token) return undefined;
    let profile: CachedProfile;
    try {
      const p = await this.deps.graph.getProfile(psid, token);
      profile = {
        ...(p.firstName ? { firstName: p.firstName } : {}),
        ...(p.lastName ? { lastName: p.lastName } : {}),
        ...(p.profilePic ? { profilePic: p.profilePic } : {}),
        ...(p.locale ? { locale: p.locale } : {}),
        fetchedAt: now.toISOString(),
      };
    } catch (error) {
      if (!(error instanceof GraphApiError)) throw error;
      if (error.isNoProfile) {
        profile = { none: true, fetchedAt: now.toISOString() };
      } else {
        if (error.isTokenInvalid) await this.channelFailed(channel, `Page access token rejected by Meta (code 190): ${error.message}`);
        // the chat opens without a name rather than waiting on Meta
        logger.warn('profile not fetched', { channelId: channel.id, code: error.graphCode, subcode: error.graphSubcode });
        return undefined;
      }
    }
    await chats.cacheProfile(channel.id, psid, profile, profileKeepSeconds);
    return profile;
  }

  private async channelFailed(channel: Channel, reason: string): Promise<void> {
    this.deps.secrets.forget(secretNames.channelToken(this.deps.secrets.prefix, channel.id));
    await this.deps.directory.saveChannel({ ...channel, provisioningState: 'failed', lastError: reason });
    await this.deps.events.publish('ChannelFailed', { channelId: channel.id, channelType: channel.type, reason });
  }
}
