import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pauseSentence } from './pause-words.ts';

test('a pause says who holds the run and what lifts it', () => {
  assert.equal(pauseSentence(['user']), 'Paused: nothing is being sent. Resume continues where it stopped.');
  assert.equal(
    pauseSentence(['offline']),
    'This computer is offline: nothing is being sent. Uploads continue by themselves when it is back; Resume tries now.',
  );
  assert.match(pauseSentence(['sleep']), /^The computer went to sleep: .* continue by themselves/);
  assert.equal(
    pauseSentence(['offline', 'user']),
    'Paused: nothing is being sent. Resume continues where it stopped. This computer is offline as well; Resume tries anyway.',
  );
});
