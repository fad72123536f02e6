// The client address that requests without accepted credentials are charged to (issue 12,
// High 1): the peer's address, or an X-Forwarded-For entry only as far as TRUST_PROXY trusts
// the hops that added it, so that a client cannot pick the share it is charged to.
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { describe, expect, it } from 'vitest';
import { parseTrustProxy } from '../../src/core/config.js';
import { BodyBudget, clientAddress } from '../../engine/sources/body.js';

const res = (peer: string): HttpResponse => ({ getRemoteAddressAsText: () => new TextEncoder().encode(peer).buffer }) as unknown as HttpResponse;
const req = (xff: string): HttpRequest => ({ getHeader: (h: string) => (h === 'x-forwarded-for' ? xff : '') }) as unknown as HttpRequest;
const addr = (peer: string, xff: string, trust: string): string => clientAddress(res(peer), req(xff), parseTrustProxy(trust));

describe('client address behind TRUST_PROXY', () => {
  it('without TRUST_PROXY, X-Forwarded-For is ignored (a client cannot choose its share)', () => {
    expect(addr('203.0.113.9', '1.2.3.4', 'false')).toBe('203.0.113.9');
  });

  it('true: the first address; a hop count: that many proxies back', () => {
    expect(addr('10.0.0.1', '198.51.100.7, 10.0.0.2', 'true')).toBe('198.51.100.7');
    expect(addr('10.0.0.1', '1.1.1.1, 198.51.100.7', '1')).toBe('198.51.100.7');
    expect(addr('10.0.0.1', '1.1.1.1, 198.51.100.7, 10.0.0.2', '2')).toBe('198.51.100.7');
  });

  it('a list: the nearest address that is not a trusted proxy; an untrusted peer is the client', () => {
    expect(addr('10.0.0.1', '1.1.1.1, 198.51.100.7, 10.0.0.2', '10.0.0.0/8')).toBe('198.51.100.7');
    expect(addr('203.0.113.9', '1.1.1.1', '10.0.0.0/8')).toBe('203.0.113.9');
    expect(addr('127.0.0.1', '', '127.0.0.1')).toBe('127.0.0.1');
  });
});

describe('BodyBudget shares', () => {
  it('a key holds its share always, more only while a share stays free for the others', () => {
    const b = new BodyBudget(100, 25);
    expect(b.tryReserve('a', 25)).toBe(true);
    expect(b.tryReserve('a', 50)).toBe(true); // 75 used: 25 still free
    expect(b.tryReserve('a', 1)).toBe(false);
    expect(b.tryReserve('b', 25)).toBe(true); // b's share was kept for it
    expect(b.tryReserve('c', 1)).toBe(false); // the budget is full
    b.release('a', 75);
    expect(b.usedBy('a')).toBe(0);
    expect(b.tryReserve('c', 25)).toBe(true);
  });
});
