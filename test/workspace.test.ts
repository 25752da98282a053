/**
 * The network's workspace (src/model/workspace.ts): one buffer or object per role and kind, made on first
 * use and the same one on every later request; different roles, kinds or per-sample sizes never share;
 * dispose gives everything back and disposes every object.
 */
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { Workspace } from '../src/model/workspace.js';

describe('Workspace', () => {
  it('gives the same buffer or object for the same role on every request, made once', () => {
    const workspace = new Workspace(new ReferenceBackend());
    let made = 0;
    const create = () => ({ id: ++made, dispose: () => undefined });
    expect(workspace.floats('a', 4)).toBe(workspace.floats('a', 4));
    expect(workspace.ints('a', 4)).toBe(workspace.ints('a', 4));
    expect(workspace.owned('a', create)).toBe(workspace.owned('a', create));
    expect(made).toBe(1);
  });

  it('never shares between roles, kinds or per-sample sizes', () => {
    const workspace = new Workspace(new ReferenceBackend());
    const floats = [workspace.floats('a', 4), workspace.floats('b', 4), workspace.floats('a', 5)];
    const ints = [workspace.ints('a', 4), workspace.ints('b', 4), workspace.ints('a', 5)];
    const objects = [workspace.owned('a', () => ({ dispose: () => undefined })), workspace.owned('b', () => ({ dispose: () => undefined }))];
    const all = [...floats, ...ints, ...objects];
    expect(new Set(all).size).toBe(all.length);
    // Each buffer holds its own per-sample size: 2 samples of 4 or 5 numbers.
    expect([floats[0].forBatch(2).length, floats[2].forBatch(2).length, ints[1].forBatch(2).length, ints[2].forBatch(2).length]).toEqual([8, 10, 8, 10]);
    expect(ints[0].forBatch(1)).toBeInstanceOf(Int32Array);
  });

  it('dispose disposes every object once and makes them afresh on the next request', () => {
    const workspace = new Workspace(new ReferenceBackend());
    const disposed: string[] = [];
    const make = (name: string) => () => ({ name, dispose: () => disposed.push(name) });
    const first = workspace.owned('x', make('x'));
    workspace.owned('y', make('y'));
    workspace.dispose();
    expect(disposed.sort()).toEqual(['x', 'y']);
    expect(workspace.owned('x', make('x2'))).not.toBe(first);
    workspace.dispose();
    expect(disposed.sort()).toEqual(['x', 'x2', 'y']);
  });
});
