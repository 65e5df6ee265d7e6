import type { Context } from 'aws-lambda';
import { JsonLogger } from '../../functions/shared/json-logger';

/** The webhooks' logger writes Powertools' lines: same fields, same levels, context per invocation. */
function capture(env: Record<string, string> = {}) {
  const lines: Array<{ line: Record<string, unknown>; stderr: boolean }> = [];
  const logger = new JsonLogger('omnichat', env, (text, stderr) => {
    expect(text.endsWith('\n')).toBe(true);
    lines.push({ line: JSON.parse(text) as Record<string, unknown>, stderr });
  });
  return { logger, lines };
}

const context = (name: string, id: string) =>
  ({ functionName: name, awsRequestId: id, invokedFunctionArn: `arn:aws:lambda:eu-west-1:1:function:${name}`, memoryLimitInMB: '512' }) as Context;

describe('the webhooks JSON logger', () => {
  it('writes the Powertools fields, the Lambda context and the line attributes, INFO to stdout and WARN up to stderr', async () => {
    const { logger, lines } = capture();
    const handler = logger.withLambdaContext(async (event: { appId: string }) => {
      logger.info('webhook accepted', { appId: event.appId, events: 2 });
      logger.warn('webhook signature refused', { appId: event.appId });
      logger.debug('not shown at INFO');
      return 'ok';
    });
    await handler({ appId: '4242' }, context('omnichat-messenger-webhook', 'r-1'));
    await handler({ appId: '4242' }, context('omnichat-messenger-webhook', 'r-2'));
    expect(lines.map((l) => [l.line.message, l.stderr, l.line.cold_start, l.line.function_request_id])).toEqual([
      ['webhook accepted', false, true, 'r-1'],
      ['webhook signature refused', true, true, 'r-1'],
      ['webhook accepted', false, false, 'r-2'],
      ['webhook signature refused', true, false, 'r-2'],
    ]);
    expect(lines[0]!.line).toEqual({
      level: 'INFO',
      message: 'webhook accepted',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      service: 'omnichat',
      cold_start: true,
      function_arn: 'arn:aws:lambda:eu-west-1:1:function:omnichat-messenger-webhook',
      function_memory_size: 512,
      function_name: 'omnichat-messenger-webhook',
      function_request_id: 'r-1',
      sampling_rate: 0,
      appId: '4242',
      events: 2,
    });
    expect(Object.keys(lines[0]!.line).slice(0, 4)).toEqual(['level', 'message', 'timestamp', 'service']);
  });

  it('chooses its level as Powertools does, SILENT writing nothing', () => {
    const levels = (env: Record<string, string>) => {
      const { logger, lines } = capture(env);
      logger.debug('d');
      logger.info('i');
      logger.warn('w');
      logger.error('e');
      return lines.map((l) => l.line.level);
    };
    expect(levels({})).toEqual(['INFO', 'WARN', 'ERROR']);
    expect(levels({ POWERTOOLS_LOG_LEVEL: 'error' })).toEqual(['ERROR']);
    expect(levels({ LOG_LEVEL: 'DEBUG' })).toEqual(['DEBUG', 'INFO', 'WARN', 'ERROR']);
    expect(levels({ POWERTOOLS_LOG_LEVEL: 'WARN', LOG_LEVEL: 'DEBUG' })).toEqual(['WARN', 'ERROR']);
    expect(levels({ AWS_LAMBDA_LOG_LEVEL: 'ERROR', POWERTOOLS_LOG_LEVEL: 'DEBUG' })).toEqual(['ERROR']);
    expect(levels({ POWERTOOLS_LOG_LEVEL: 'SILENT' })).toEqual([]);
    expect(levels({ POWERTOOLS_LOG_LEVEL: 'nonsense' })).toEqual(['INFO', 'WARN', 'ERROR']);
  });

  it('keeps each invocation\'s context while invocations of several functions run at once', async () => {
    const { logger, lines } = capture();
    const handler = logger.withLambdaContext(async (event: { n: number }) => {
      await new Promise((resolve) => setTimeout(resolve, (event.n * 7) % 5));
      logger.warn('webhook verification refused', { n: event.n });
    });
    await Promise.all(Array.from({ length: 20 }, (_, n) => handler({ n }, context(n % 2 ? 'handshake' : 'webhook', `r-${n}`))));
    expect(lines).toHaveLength(20);
    for (const { line } of lines) {
      expect(line.function_request_id).toBe(`r-${String(line.n)}`);
      expect(line.function_name).toBe(Number(line.n) % 2 ? 'handshake' : 'webhook');
    }
  });

  it('logs errors as names and messages, never stacks, and the trace id as Powertools does', () => {
    const previous = process.env._X_AMZN_TRACE_ID;
    process.env._X_AMZN_TRACE_ID = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
    try {
      const { logger, lines } = capture();
      logger.error('request failed', { errors: [new TypeError('fetch failed')], big: 2n ** 70n, text: 'Olá 😀 👍🏽 🇵🇹 👨‍👩‍👧 𝕳' });
      expect(lines[0]!.line).toMatchObject({
        xray_trace_id: '1-5759e988-bd862e3fe1be46a994272793',
        errors: [{ name: 'TypeError', message: 'fetch failed' }],
        big: (2n ** 70n).toString(),
        text: 'Olá 😀 👍🏽 🇵🇹 👨‍👩‍👧 𝕳',
      });
      expect(JSON.stringify(lines[0]!.line)).not.toContain('stack');
    } finally {
      if (previous === undefined) delete process.env._X_AMZN_TRACE_ID;
      else process.env._X_AMZN_TRACE_ID = previous;
    }
  });
});
