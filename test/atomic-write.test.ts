/**
 * Files written in pieces keep writeFileAtomic's promise (src/files/atomic-write.ts): until `commit`, the
 * file under its name is whatever was there before; after it, the whole new contents; `abort` leaves the old
 * file and no temporary one behind.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AtomicFileWriter } from '../src/files/atomic-write.js';

describe('AtomicFileWriter', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xcnn-atomic-'));

  it('shows the old file until commit, then all of the new one, through buffer flushes', () => {
    const path = join(dir, 'streamed.json');
    writeFileSync(path, 'old');
    const writer = new AtomicFileWriter(path, 64); // a small buffer: many flushes before the commit
    const pieces = Array.from({ length: 500 }, (_, k) => `${k === 0 ? '[' : ','}${k}`);
    for (const piece of pieces) writer.write(piece);
    writer.write(']');
    expect(readFileSync(path, 'utf8')).toBe('old');
    writer.commit();
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(Array.from({ length: 500 }, (_, k) => k));
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('leaves the old file and no temporary one on abort', () => {
    const path = join(dir, 'kept.txt');
    writeFileSync(path, 'kept');
    const writer = new AtomicFileWriter(path, 4);
    writer.write('half a file');
    writer.abort();
    writer.abort();
    expect(readFileSync(path, 'utf8')).toBe('kept');
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect(() => writer.commit()).toThrow(/kept\.txt: cannot write: the file was already committed or aborted/);
    expect(readFileSync(path, 'utf8')).toBe('kept');
  });

  it('creates the folders on the way, and names the file when it cannot', () => {
    const path = join(dir, 'a', 'b', 'new.txt');
    const writer = new AtomicFileWriter(path);
    writer.write('text');
    writer.commit();
    expect(readFileSync(path, 'utf8')).toBe('text');
    expect(() => new AtomicFileWriter('/proc/xcnn-no/file.json')).toThrow(/^\/proc\/xcnn-no\/file\.json: cannot write: /);
    expect(existsSync('/proc/xcnn-no')).toBe(false);
  });
});
