import { deflateRawSync } from 'node:zlib';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { centralDirectory, formatManifest, parseManifest, readManifest, rewriteManifest } from '../../functions/local/jar-manifest.js';

const crc32 = (zlib as unknown as { crc32: (data: Buffer) => number }).crc32;

/** A zip as `jar` writes one: a deflated manifest with a data descriptor, then a stored class. */
function jar(entries: { name: string; data: Buffer; deflate: boolean }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const { name, data, deflate } of entries) {
    const body = deflate ? deflateRawSync(data) : data;
    const nameBytes = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(deflate ? 8 : 0, 6); // bit 3: sizes in a data descriptor
    local.writeUInt16LE(deflate ? 8 : 0, 8);
    local.writeUInt32LE(deflate ? 0 : crc32(data), 14);
    local.writeUInt32LE(deflate ? 0 : body.length, 18);
    local.writeUInt32LE(deflate ? 0 : data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const descriptor = Buffer.alloc(deflate ? 16 : 0);
    if (deflate) {
      descriptor.writeUInt32LE(0x08074b50, 0);
      descriptor.writeUInt32LE(crc32(data), 4);
      descriptor.writeUInt32LE(body.length, 8);
      descriptor.writeUInt32LE(data.length, 12);
    }
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(deflate ? 8 : 0, 8);
    central.writeUInt16LE(deflate ? 8 : 0, 10);
    central.writeUInt32LE(crc32(data), 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    const entry = Buffer.concat([local, nameBytes, body, descriptor]);
    locals.push(entry);
    centrals.push(Buffer.concat([central, nameBytes]));
    offset += entry.length;
  }
  const central = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(central.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, central, end]);
}

const manifest = formatManifest([
  ['Manifest-Version', '1.0'],
  ['Main-Class', 'com.example.Main'],
  ['Class-Path', `. log4j2.xml ${Array.from({ length: 12 }, (_, index) => `lib/library-number-${index}.jar`).join(' ')} lib/native.so`],
]);

describe('jar manifests', () => {
  it('folds lines at 72 bytes and reads them back whole', () => {
    expect(manifest.split('\r\n').every((line) => Buffer.byteLength(line) <= 70)).toBe(true);
    expect(parseManifest(manifest).find(([name]) => name === 'Class-Path')?.[1]).toMatch(/^\. log4j2\.xml lib\/library-number-0\.jar .* lib\/native\.so$/);
  });

  it('replaces the manifest and keeps every other entry byte for byte', () => {
    const classFile = Buffer.from('\xca\xfe\xba\xbe class bytes', 'latin1');
    const original = jar([
      { name: 'META-INF/MANIFEST.MF', data: Buffer.from(manifest), deflate: true },
      { name: 'com/example/Main.class', data: classFile, deflate: false },
    ]);
    const onlyJars = (text: string) =>
      formatManifest(parseManifest(text).map(([name, value]) => [name, name === 'Class-Path' ? value.split(' ').filter((entry) => entry.endsWith('.jar')).join(' ') : value]));
    const rewritten = rewriteManifest(original, onlyJars);

    const classPath = parseManifest(readManifest(rewritten)).find(([name]) => name === 'Class-Path')?.[1];
    expect(classPath?.split(' ')).toEqual(Array.from({ length: 12 }, (_, index) => `lib/library-number-${index}.jar`));
    expect(parseManifest(readManifest(rewritten)).find(([name]) => name === 'Main-Class')?.[1]).toBe('com.example.Main');
    const { entries } = centralDirectory(rewritten);
    expect(entries.map((entry) => entry.name)).toEqual(['META-INF/MANIFEST.MF', 'com/example/Main.class']);
    const main = entries[1]!;
    const start = main.offset + 30 + rewritten.readUInt16LE(main.offset + 26) + rewritten.readUInt16LE(main.offset + 28);
    expect(rewritten.subarray(start, start + classFile.length)).toEqual(classFile);
    expect(main.header.readUInt32LE(16)).toBe(crc32(classFile));
  });

  it('refuses what is not a zip', () => {
    expect(() => rewriteManifest(Buffer.from('not a jar'), (text) => text)).toThrow('not a zip file');
  });
});
