import { Match } from 'aws-cdk-lib/assertions';
import { defaultDomainPrefix } from '../../lib/admin-api';
import { parseSettings } from '../../lib/settings';
import { synthesizeStack } from './synthesized-stack';

describe('the console’s sign-in settings', () => {
  it('derives a Cognito domain prefix from the stack name and the account, without reserved words', () => {
    expect(defaultDomainPrefix('Omnichat', '123456789012')).toBe('omnichat-123456789012');
    expect(defaultDomainPrefix('OmnichatStaging', '123456789012')).toBe('omnichatstaging-123456789012');
    expect(defaultDomainPrefix('AwsCognitoChat', '123456789012')).toBe('chat-123456789012');
    expect(defaultDomainPrefix('Amazon', '123456789012')).toBe('omnichat-123456789012');
    expect(defaultDomainPrefix('awamazonsChat', '123456789012')).toBe('chat-123456789012');
    expect(defaultDomainPrefix(`Omnichat-${'x'.repeat(80)}`, '123456789012')).toHaveLength(50 + 13);
  });

  it('refuses a domain prefix Cognito would refuse, and callback URLs that are not URLs', () => {
    expect(() => parseSettings({ authDomainPrefix: 'Acme' })).toThrow(/authDomainPrefix/);
    expect(() => parseSettings({ authDomainPrefix: 'acme-aws-chat' })).toThrow(/authDomainPrefix: must not contain aws/);
    expect(() => parseSettings({ authDomainPrefix: '-acme' })).toThrow(/authDomainPrefix/);
    expect(() => parseSettings({ consoleCallbackUrls: 'https://agents.example.com/,not a url' })).toThrow(/consoleCallbackUrls/);
    expect(parseSettings({ consoleCallbackUrls: ' https://agents.example.com/ , http://localhost:3000/console/' }).consoleCallbackUrls).toEqual([
      'https://agents.example.com/',
      'http://localhost:3000/console/',
    ]);
    expect(parseSettings({}).consoleCallbackUrls).toEqual([]);
  });

  it('uses the given domain prefix and accepts the extra console URLs for sign-in and sign-out', () => {
    // given a deployment in a known account with a chosen prefix and a second place the console is served from
    const { template } = synthesizeStack(
      { authDomainPrefix: 'acme-support', consoleCallbackUrls: 'https://agents.example.com/' },
      { account: '123456789012', region: 'eu-west-1' },
    );

    // then the domain is the chosen one, and both URLs are allowed to receive codes and sign-outs
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'acme-support', ManagedLoginVersion: 2 });
    const consoleUrl = { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [Match.stringLikeRegexp('^AgentConsoleDistribution'), 'DomainName'] }, '/']] };
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      CallbackURLs: [consoleUrl, 'https://agents.example.com/'],
      LogoutURLs: [consoleUrl, 'https://agents.example.com/'],
    });
    template.hasOutput('HostedUiUrl', {
      Value: { 'Fn::Join': ['', ['https://', { Ref: Match.stringLikeRegexp('SignInDomain') }, '.auth.eu-west-1.amazoncognito.com']] },
    });
  });
});
