import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLoopbackHost, plainHttpProblem } from './api-url.ts';

test('loopback is localhost, 127.0.0.0/8 and [::1]; nothing that merely looks like them', () => {
  for (const host of ['localhost', 'LOCALHOST', '127.0.0.1', '127.1.2.3', '[::1]'])
    assert.equal(isLoopbackHost(host), true, host);
  for (const host of [
    'localhost.example.com',
    '127.0.0.1.nip.io',
    '128.0.0.1',
    '10.0.0.1',
    '[::2]',
    '0.0.0.0',
    'example.com',
    '',
  ]) {
    assert.equal(isLoopbackHost(host), false, host);
  }
});

test('plain http is a problem only off this machine; https never is', () => {
  assert.equal(plainHttpProblem('https:', 'press.example.com'), null);
  assert.equal(plainHttpProblem('http:', '127.0.0.1'), null);
  assert.equal(plainHttpProblem('http:', '[::1]'), null);
  assert.match(plainHttpProblem('http:', 'press.example.com') ?? '', /unencrypted to press\.example\.com/);
  assert.match(plainHttpProblem('http:', '192.168.1.20') ?? '', /unencrypted/);
});
