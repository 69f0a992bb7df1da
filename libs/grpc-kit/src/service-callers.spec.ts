import { Metadata } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { peerAddress, SERVICE_TOKEN_KEY, ServiceCallers } from './service-callers.js';

const WEB = 'w'.repeat(40);
const IDENTITY = 'i'.repeat(40);
const sending = (token?: string) => {
  const metadata = new Metadata();
  if (token !== undefined) metadata.set(SERVICE_TOKEN_KEY, token);
  return metadata;
};

describe('ServiceCallers', () => {
  it('names the calling service by its token, from any address, and nobody else', () => {
    const callers = ServiceCallers.parse(`web=${WEB}, identity=${IDENTITY}`);
    expect(callers.identify(sending(WEB), '10.1.2.3:5000')).toBe('web');
    expect(callers.identify(sending(IDENTITY), 'ipv4:10.1.2.4:5000')).toBe('identity');
    expect(callers.identify(sending(WEB.slice(1) + 'x'), '10.1.2.3:5000')).toBeUndefined();
    expect(callers.identify(sending(), '127.0.0.1:5000')).toBeUndefined();
    expect(callers.identify(sending(''), '127.0.0.1:5000')).toBeUndefined();
  });

  it('without configured callers (development) trusts the loopback interface only', () => {
    const callers = ServiceCallers.parse(undefined);
    expect(callers.configured).toBe(false);
    expect(callers.identify(sending(), '127.0.0.1:5000')).toBe('local');
    expect(callers.identify(sending(), '[::1]:5000')).toBe('local');
    expect(callers.identify(sending(WEB), '10.0.0.8:5000')).toBeUndefined();
    // Entries with empty tokens (an unset compose variable) configure nothing.
    expect(ServiceCallers.parse('web=').configured).toBe(false);
  });

  it('refuses short tokens and malformed entries', () => {
    expect(() => ServiceCallers.parse('web=short')).toThrow(/at least 32/);
    expect(() => ServiceCallers.parse(WEB)).toThrow(/name=token/);
  });
});

describe('peerAddress', () => {
  it('reads the forms grpc-js reports', () => {
    expect(peerAddress('127.0.0.1:51234')).toBe('127.0.0.1');
    expect(peerAddress('ipv4:10.0.0.7:51234')).toBe('10.0.0.7');
    expect(peerAddress('[::1]:51234')).toBe('::1');
    expect(peerAddress('ipv6:[2001:db8::5]:443')).toBe('2001:db8::5');
    expect(peerAddress('unix:/tmp/socket')).toBe('');
  });
});
