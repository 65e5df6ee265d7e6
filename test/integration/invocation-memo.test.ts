import { randomUUID } from 'node:crypto';
import { withInvocationMemo } from '../../functions/adapters/invocation-memo';
import type { Channel } from '../../functions/domain/model';
import { dynamoStores } from '../support/routing-harness';

function pageChannel(name: string): Channel {
  return {
    id: randomUUID(),
    type: 'messenger',
    name,
    active: true,
    queueId: null,
    language: 'pt-BR',
    provisioningState: 'running',
    lastError: null,
    humanAgentTag: false,
    appId: 'app-1',
    pageId: `page-${randomUUID()}`,
    createdAt: new Date().toISOString(),
  };
}

describe('configuration read once per consumer invocation, against DynamoDB Local', () => {
  it('a batch of records reads a Page’s channel and the settings once; outside an invocation every read goes to the table', async () => {
    const { table, directory, chats } = await dynamoStores();
    const channel = pageChannel('Atendimento 🇧🇷 Loja');
    expect(await directory.createChannel(channel)).toBe('done');
    await chats.saveAutomatedMessages(channel.id, { languages: { 'pt-BR': { greeting: 'Olá! Já vamos atender 🙏' } }, allAgentsBusyAfterSeconds: 120 });
    const requests = () => table.capacity.requests;

    // inside one invocation: ten records of the Page
    const before = requests();
    const seen = await withInvocationMemo(async () => {
      const found = [];
      for (let n = 0; n < 10; n++) found.push(await directory.channelOfPage(channel.pageId!), await directory.settings(), await chats.automatedMessages(channel.id));
      return found;
    });
    expect(requests() - before).toBe(4); // the Page, its channel, the settings, its automated messages
    expect(seen.filter((x) => x && 'name' in x).map((c) => (c as Channel).name)).toEqual(Array(10).fill('Atendimento 🇧🇷 Loja'));
    expect(seen.filter((x) => x && 'languages' in x).map((m) => JSON.stringify(m))).toEqual(Array(10).fill(JSON.stringify({ languages: { 'pt-BR': { greeting: 'Olá! Já vamos atender 🙏' } }, allAgentsBusyAfterSeconds: 120 })));

    // outside: each read is a request
    const outside = requests();
    await directory.channelOfPage(channel.pageId!);
    await directory.channelOfPage(channel.pageId!);
    expect(requests() - outside).toBe(4);
  });

  it('an invocation sees a change it made itself, and the next invocation sees a change made meanwhile', async () => {
    const { directory } = await dynamoStores();
    const channel = pageChannel('Support');
    expect(await directory.createChannel(channel)).toBe('done');
    await withInvocationMemo(async () => {
      expect((await directory.channel(channel.id))?.name).toBe('Support');
      await directory.saveChannel({ ...channel, name: 'Suporte 👋🏽' });
      expect((await directory.channel(channel.id))?.name).toBe('Suporte 👋🏽');
    });
    await directory.saveChannel({ ...channel, name: 'Поддержка' });
    expect(await withInvocationMemo(async () => (await directory.channel(channel.id))?.name)).toBe('Поддержка');
  });

  it('each caller gets its own copy: changing one answer does not change what the next caller reads', async () => {
    const { directory } = await dynamoStores();
    const channel = pageChannel('Vendas');
    expect(await directory.createChannel(channel)).toBe('done');
    await withInvocationMemo(async () => {
      const first = (await directory.channel(channel.id))!;
      first.name = 'changed by a caller';
      expect((await directory.channel(channel.id))?.name).toBe('Vendas');
    });
  });

  it('two invocations at once do not share what they read', async () => {
    const { directory } = await dynamoStores();
    const channel = pageChannel('Concurrent');
    expect(await directory.createChannel(channel)).toBe('done');
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let firstRead = () => {};
    const read = new Promise<void>((resolve) => (firstRead = resolve));
    const slow = withInvocationMemo(async () => {
      await directory.channel(channel.id);
      firstRead();
      await gate;
      return (await directory.channel(channel.id))?.name;
    });
    // the rename lands after the slow invocation's first read, and before its second
    await read;
    await directory.saveChannel({ ...channel, name: 'Renamed 😀' });
    const fresh = await withInvocationMemo(async () => (await directory.channel(channel.id))?.name);
    release();
    expect(fresh).toBe('Renamed 😀');
    expect(await slow).toBe('Concurrent');
  });
});
