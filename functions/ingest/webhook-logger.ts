import { JsonLogger } from '../shared/json-logger';

/** The webhooks' structured logger: Powertools' lines without Powertools (see shared/json-logger.ts). Secrets are never passed to it. */
export const logger = new JsonLogger('omnichat');
