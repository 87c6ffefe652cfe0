import { beforeEach, describe, expect, it } from 'vitest';
import { execute, onNodeEvent, setTransport, toApiError, WeftError, type Transport } from './api';
import type { NodeEvent } from './types';

function fake(answer: (command: string, args?: Record<string, unknown>) => unknown): Transport & { calls: unknown[] } {
  const calls: unknown[] = [];
  return {
    calls,
    async invoke<T>(command: string, args?: Record<string, unknown>): Promise<T> {
      calls.push({ command, args });
      return answer(command, args) as T;
    },
    async listen<T>(event: string, handler: (payload: T) => void) {
      if (event === 'weft-event') handler({ event: 'network_changed' } as T);
      return () => undefined;
    },
  };
}

describe('execute', () => {
  beforeEach(() => setTransport(fake(() => ({ kind: 'communities', data: [] }))));

  it("sends { request } to the shell's execute command and returns the data", async () => {
    const t = fake(() => ({ kind: 'tasks', data: [{ id: 'x' }] }));
    setTransport(t);
    const data = await execute({ op: 'task_list', community: null, sector: null, open_only: true }, 'tasks');
    expect(data).toEqual([{ id: 'x' }]);
    expect(t.calls).toEqual([
      { command: 'execute', args: { request: { op: 'task_list', community: null, sector: null, open_only: true } } },
    ]);
  });

  it('rejects with { code, message } as the node sent it', async () => {
    setTransport(
      fake(() => {
        throw { code: 'invalid', message: 'the task is full' };
      }),
    );
    const err = await execute({ op: 'whoami' }, 'identity').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WeftError);
    expect(err).toMatchObject({ code: 'invalid', message: 'the task is full' });
  });

  it('refuses an answer of another kind', async () => {
    setTransport(fake(() => ({ kind: 'tasks', data: [] })));
    await expect(execute({ op: 'whoami' }, 'identity')).rejects.toMatchObject({ code: 'internal' });
  });

  it('passes node events to the handler', async () => {
    const seen: NodeEvent[] = [];
    await onNodeEvent((e) => seen.push(e));
    expect(seen).toEqual([{ event: 'network_changed' }]);
  });
});

describe('toApiError', () => {
  it('keeps a known code and message', () => {
    expect(toApiError({ code: 'not_found', message: 'no task abcd' })).toMatchObject({ code: 'not_found', message: 'no task abcd' });
  });
  it('keeps the typed detail, and drops one that is not a detail', () => {
    const detail = { kind: 'task_full', title: 'Weed', slots: 2 };
    expect(toApiError({ code: 'invalid', message: "the task 'Weed' is full", detail }).detail).toEqual(detail);
    expect(toApiError({ code: 'invalid', message: 'x', detail: 'words' }).detail).toBeNull();
    expect(toApiError({ code: 'busy', message: 'held' }).detail).toBeNull();
  });
  it('reads the JSON of an ApiError in a string', () => {
    expect(toApiError('{"code":"busy","message":"held"}')).toMatchObject({ code: 'busy', message: 'held' });
  });
  it('turns anything else into an internal error with words', () => {
    expect(toApiError('boom')).toMatchObject({ code: 'internal', message: 'boom' });
    expect(toApiError(new Error('lost'))).toMatchObject({ code: 'internal', message: 'lost' });
    expect(toApiError({ code: 'weird', message: 'x' })).toMatchObject({ code: 'internal', message: 'x' });
  });
});
