/**
 * Rewrites a jar's manifest (META-INF/MANIFEST.MF), copying every other entry byte for byte.
 * Only what DynamoDB Local's class archive needs (dynamodb-local-cds.ts): no zip64, no
 * multi-disk archives; anything else is refused with an error, never written half-right.
 */
import * as zlib from 'node:zlib';

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MANIFEST = 'META-INF/MANIFEST.MF';

/** A manifest's main attributes, continuation lines joined ("Name: value" per entry). */
export function parseManifest(text: string): [string, string][] {
  const unfolded = text.replace(/\r\n/g, '\n').replace(/\n /g, '');
  const main = unfolded.split('\n\n')[0] ?? '';
  return main
    .split('\n')
    .filter((line) => line.includes(': '))
    .map((line) => [line.slice(0, line.indexOf(': ')), line.slice(line.indexOf(': ') + 2)]);
}

/** A manifest in the jar format: lines of at most 72 bytes, continued with a leading space. */
export function formatManifest(attributes: [string, string][]): string {
  const lines: string[] = [];
  for (const [name, value] of attributes) {
    let line = `${name}: ${value}`;
    lines.push(line.slice(0, 70));
    for (line = line.slice(70); line.length > 0; line = line.slice(69)) lines.push(` ${line.slice(0, 69)}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}

interface CentralEntry {
  name: string;
  /** The central directory record, copied (its offset is rewritten). */
  header: Buffer;
  offset: number;
}

/** The zip's central directory. */
export function centralDirectory(jar: Buffer): { entries: CentralEntry[]; centralOffset: number } {
  const eocd = jar.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0 || jar.readUInt32LE(eocd) !== EOCD) throw new Error('not a zip file');
  const count = jar.readUInt16LE(eocd + 10);
  const centralSize = jar.readUInt32LE(eocd + 12);
  const centralOffset = jar.readUInt32LE(eocd + 16);
  if (count === 0xffff || centralOffset === 0xffffffff || jar.readUInt16LE(eocd + 4) !== 0) throw new Error('zip64 or multi-disk jars are not supported');

  const entries: CentralEntry[] = [];
  for (let at = centralOffset; entries.length < count; ) {
    if (jar.readUInt32LE(at) !== CENTRAL) throw new Error('corrupt central directory');
    const length = 46 + jar.readUInt16LE(at + 28) + jar.readUInt16LE(at + 30) + jar.readUInt16LE(at + 32);
    const header = Buffer.from(jar.subarray(at, at + length));
    entries.push({ name: header.subarray(46, 46 + header.readUInt16LE(28)).toString('utf8'), header, offset: header.readUInt32LE(42) });
    at += length;
  }
  if (centralOffset + centralSize > jar.length) throw new Error('corrupt central directory');
  return { entries, centralOffset };
}

/** The text of the jar's manifest. */
export function readManifest(jar: Buffer): string {
  const manifest = centralDirectory(jar).entries.find((entry) => entry.name === MANIFEST);
  if (!manifest) throw new Error(`no ${MANIFEST}`);
  return readEntry(jar, manifest.offset, manifest.header);
}

/** The jar with its manifest replaced by `edit(old manifest text)`. */
export function rewriteManifest(jar: Buffer, edit: (manifest: string) => string): Buffer {
  // zlib.crc32 arrived in Node 20.15 and 22.2.
  const crc32 = (zlib as { crc32?: (data: Buffer) => number }).crc32;
  if (!crc32) throw new Error('this Node has no zlib.crc32');
  const { entries, centralOffset } = centralDirectory(jar);
  const count = entries.length;
  const byOffset = [...entries].sort((a, b) => a.offset - b.offset);
  const manifest = entries.find((entry) => entry.name === MANIFEST);
  if (!manifest) throw new Error(`no ${MANIFEST}`);

  const parts: Buffer[] = [];
  let written = 0;
  byOffset.forEach((entry, index) => {
    const end = byOffset[index + 1]?.offset ?? centralOffset;
    let local: Buffer;
    if (entry === manifest) {
      if (jar.readUInt32LE(entry.offset) !== LOCAL) throw new Error('corrupt local header');
      const data = Buffer.from(edit(readEntry(jar, entry.offset, entry.header)), 'utf8');
      const name = Buffer.from(MANIFEST, 'utf8');
      local = Buffer.alloc(30 + name.length);
      local.writeUInt32LE(LOCAL, 0);
      local.writeUInt16LE(20, 4); // version needed
      local.writeUInt16LE(0, 6); // flags: sizes known, no data descriptor
      local.writeUInt16LE(0, 8); // stored
      local.writeUInt32LE(entry.header.readUInt32LE(12), 10); // time and date as they were
      local.writeUInt32LE(crc32(data), 14);
      local.writeUInt32LE(data.length, 18);
      local.writeUInt32LE(data.length, 22);
      local.writeUInt16LE(name.length, 26);
      name.copy(local, 30);
      local = Buffer.concat([local, data]);
      const header = Buffer.alloc(46 + name.length);
      header.writeUInt32LE(CENTRAL, 0);
      header.writeUInt16LE(entry.header.readUInt16LE(4), 4);
      local.copy(header, 6, 4, 30); // version needed .. name length, as in the local header
      name.copy(header, 46);
      entry.header = header;
    } else {
      local = jar.subarray(entry.offset, end);
    }
    entry.header.writeUInt32LE(written, 42);
    parts.push(local);
    written += local.length;
  });
  const central = Buffer.concat(entries.map((entry) => entry.header));
  const end = Buffer.alloc(22);
  end.writeUInt32LE(EOCD, 0);
  end.writeUInt16LE(count, 8);
  end.writeUInt16LE(count, 10);
  end.writeUInt32LE(central.length, 12);
  end.writeUInt32LE(written, 16);
  return Buffer.concat([...parts, central, end]);
}

function readEntry(jar: Buffer, offset: number, central: Buffer): string {
  const method = central.readUInt16LE(10);
  const size = central.readUInt32LE(20);
  const start = offset + 30 + jar.readUInt16LE(offset + 26) + jar.readUInt16LE(offset + 28);
  const raw = jar.subarray(start, start + size);
  if (method === 0) return raw.toString('utf8');
  if (method === 8) return zlib.inflateRawSync(raw).toString('utf8');
  throw new Error(`${MANIFEST} uses compression method ${method}`);
}
