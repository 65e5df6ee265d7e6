import { Logger } from '@aws-lambda-powertools/logger';

/** One structured logger per function; secrets are never passed to it. */
export const logger = new Logger({ serviceName: 'omnichat' });
