/** Where each secret lives: app secrets, page tokens and bot tokens, under one prefix. */
export const secretNames = {
  messengerAppSecret: (prefix: string, appId: string) => `${prefix}/messenger-app/${appId}`,
  channelToken: (prefix: string, channelId: string) => `${prefix}/channel/${channelId}`,
  /** The `secret_token` Telegram sends back in `X-Telegram-Bot-Api-Secret-Token`. */
  telegramWebhookSecret: (prefix: string, channelId: string) => `${prefix}/telegram-webhook/${channelId}`,
};
