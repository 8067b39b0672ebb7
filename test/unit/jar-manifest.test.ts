import { describe, expect, it } from 'vitest';
import { centralDirectory, formatManifest, parseManifest, readManifest, rewriteManifest } from '../../functions/local/jar-manifest.js';
import { crc32, jar } from '../support/jar-fixture.js';

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
