import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  IRunInfo,
  notebookMessage,
  parseMessage,
  parseState,
  shownRun,
  stateTone,
  statusText,
  statusTitle
} from '../src/protocol';

const RUN = {
  id: 'abc123',
  name: 'bright-river-3',
  project: 'mnist',
  state: 'running',
  step: 12,
  url: 'http://127.0.0.1:8000/alice/mnist/runs/abc123',
  upload: 'syncing',
  dir: '/data/nbtrack/run-20260101_000000-abc123',
  current: true
};

function run(fields: Partial<IRunInfo>): IRunInfo {
  return { ...RUN, ...fields };
}

describe('parseMessage', () => {
  it('reads a state message and keeps only valid entries', () => {
    const message = parseMessage({
      type: 'state',
      current: 'abc123',
      runs: [RUN, { name: 'no id' }, 'junk'],
      pending: [{ id: 'p1', dir: '/d/p1', name: 'old-run', project: 'p', state: 'finished' }, {}],
      sync: { state: 'done', text: 'synced 1 run, 5 records sent' }
    });
    assert.ok(message && message.type === 'state');
    assert.deepEqual(message.state.runs, [RUN]);
    assert.deepEqual(message.state.pending.map(p => p.id), ['p1']);
    assert.equal(message.state.current, 'abc123');
    assert.deepEqual(message.state.sync, { state: 'done', text: 'synced 1 run, 5 records sent' });
  });

  it('fills defaults for missing or mistyped fields', () => {
    const state = parseState({ runs: [{ id: 'x', step: 'three', url: '' }], sync: { state: 'odd' } });
    assert.deepEqual(state.runs[0], {
      id: 'x',
      name: 'x',
      project: '',
      state: 'unknown',
      step: 0,
      url: null,
      upload: 'offline',
      dir: null,
      current: false
    });
    assert.deepEqual(state.pending, []);
    assert.deepEqual(state.sync, { state: 'idle', text: '' });
    assert.equal(state.current, null);
  });

  it('reads hello, ack, result and error; ignores the rest', () => {
    assert.deepEqual(parseMessage({ type: 'hello', protocol: 1 }), { type: 'hello', protocol: 1 });
    assert.deepEqual(parseMessage({ type: 'ack', path: '/nb/a.ipynb' }), {
      type: 'ack',
      path: '/nb/a.ipynb'
    });
    assert.deepEqual(parseMessage({ type: 'ack', path: null }), { type: 'ack', path: null });
    assert.deepEqual(parseMessage({ type: 'result', request: 'sync', ok: true, message: 'm' }), {
      type: 'result',
      request: 'sync',
      ok: true,
      message: 'm'
    });
    assert.deepEqual(parseMessage({ type: 'error' }), { type: 'error', message: 'unknown error' });
    assert.equal(parseMessage({ type: 'surprise' }), null);
    assert.equal(parseMessage(null), null);
    assert.equal(parseMessage([1, 2]), null);
    assert.equal(parseMessage('state'), null);
  });
});

describe('status', () => {
  it('shows the current run, else the last one', () => {
    const first = run({ id: 'a', current: false });
    const second = run({ id: 'b', current: false });
    const sync = { state: 'idle' as const, text: '' };
    assert.equal(shownRun(null), null);
    assert.equal(shownRun({ current: null, runs: [], pending: [], sync }), null);
    assert.equal(shownRun({ current: 'a', runs: [first, second], pending: [], sync }), first);
    assert.equal(shownRun({ current: null, runs: [first, second], pending: [], sync }), second);
  });

  it('colours states', () => {
    assert.equal(stateTone('running'), 'running');
    assert.equal(stateTone('finished'), 'ok');
    assert.equal(stateTone('failed'), 'bad');
    assert.equal(stateTone('killed'), 'lost');
    assert.equal(stateTone('crashed'), 'lost');
  });

  it('formats the text and the tooltip', () => {
    assert.equal(statusText(run({})), 'nbtrack: bright-river-3 · running · step 12');
    assert.equal(statusText(run({ step: 0, state: 'finished' })), 'nbtrack: bright-river-3 · finished');
    assert.match(statusTitle(run({})), /mnist\/abc123 \(upload: syncing\)\nClick to open http/);
    assert.match(statusTitle(run({ url: null })), /no run page until it is synced/);
  });
});

describe('notebookMessage', () => {
  it('sends the path relative to the server root', () => {
    assert.deepEqual(notebookMessage('sub/dir/a.ipynb', '/home/u'), {
      type: 'notebook',
      path: 'sub/dir/a.ipynb',
      root: '/home/u'
    });
    assert.deepEqual(notebookMessage('/a.ipynb', ''), { type: 'notebook', path: 'a.ipynb', root: '' });
  });
});
