/**
 * A QR code encoder (ISO/IEC 18004) for the server address shown on the overview: byte mode,
 * error correction level M, versions 1-10 (up to 213 bytes), so that no third-party code runs
 * in the panel. Checked module for module against python-qrcode in tests/admin_panel/qr_test.ts.
 */

/** [EC codewords per block, blocks in group 1, data codewords each, blocks in group 2, data codewords each], level M (18004 table 9) */
const BLOCKS_M: readonly (readonly [number, number, number, number, number])[] = [
  [10, 1, 16, 0, 0],
  [16, 1, 28, 0, 0],
  [26, 1, 44, 0, 0],
  [18, 2, 32, 0, 0],
  [24, 2, 43, 0, 0],
  [16, 4, 27, 0, 0],
  [18, 4, 31, 0, 0],
  [22, 2, 38, 2, 39],
  [22, 3, 36, 2, 37],
  [26, 4, 43, 1, 44],
];

/** alignment pattern centres per version (18004 annex E) */
const ALIGNMENT: readonly (readonly number[])[] = [
  [],
  [6, 18],
  [6, 22],
  [6, 26],
  [6, 30],
  [6, 34],
  [6, 22, 38],
  [6, 24, 42],
  [6, 26, 46],
  [6, 28, 50],
];

export const QR_MAX_BYTES = 213;

/** Rows of modules, true = dark. `mask` forces a mask pattern (0-7); otherwise the lowest penalty wins. */
export function qrMatrix(data: Uint8Array, mask?: number): boolean[][] {
  const version = BLOCKS_M.findIndex(([, b1, d1, b2, d2], i) => {
    const countBits = i + 1 < 10 ? 8 : 16;
    return 4 + countBits + data.length * 8 <= (b1 * d1 + b2 * d2) * 8;
  }) + 1;
  if (version === 0) throw new RangeError(`QR: ${data.length} bytes do not fit version 10-M`);
  const codewords = interleave(version, dataCodewords(version, data));
  const candidates = mask === undefined ? [0, 1, 2, 3, 4, 5, 6, 7] : [mask];
  let best: boolean[][] | undefined, bestScore = Infinity;
  for (const m of candidates) {
    const grid = new QrGrid(version);
    grid.drawFunctionPatterns(m);
    grid.drawCodewords(codewords, m);
    const score = mask === undefined ? penalty(grid.modules) : 0;
    if (score < bestScore) [best, bestScore] = [grid.modules, score];
  }
  return best!;
}

function dataCodewords(version: number, data: Uint8Array): Uint8Array {
  const [, b1, d1, b2, d2] = BLOCKS_M[version - 1];
  const capacity = b1 * d1 + b2 * d2;
  const bits: number[] = [];
  const push = (value: number, n: number) => {
    for (let i = n - 1; i >= 0; i--) bits.push((value >>> i) & 1);
  };
  push(0b0100, 4);
  push(data.length, version < 10 ? 8 : 16);
  for (const b of data) push(b, 8);
  push(0, Math.min(4, capacity * 8 - bits.length));
  push(0, (8 - bits.length % 8) % 8);
  const out = new Uint8Array(capacity);
  for (let i = 0; i < bits.length; i++) out[i >>> 3] |= bits[i] << (7 - (i & 7));
  for (let i = bits.length / 8, pad = 0xec; i < capacity; i++, pad ^= 0xec ^ 0x11) out[i] = pad;
  return out;
}

/** Splits into blocks, appends each block's Reed-Solomon codewords, and interleaves (18004 §7.6). */
function interleave(version: number, data: Uint8Array): Uint8Array {
  const [ec, b1, d1, b2, d2] = BLOCKS_M[version - 1];
  const blocks: Uint8Array[] = [];
  let offset = 0;
  for (let i = 0; i < b1 + b2; i++) {
    const len = i < b1 ? d1 : d2;
    blocks.push(data.subarray(offset, offset + len));
    offset += len;
  }
  const ecBlocks = blocks.map((b) => reedSolomonRemainder(b, ec));
  const out: number[] = [];
  for (let i = 0; i < Math.max(d1, d2); i++) for (const b of blocks) if (i < b.length) out.push(b[i]);
  for (let i = 0; i < ec; i++) for (const b of ecBlocks) out.push(b[i]);
  return Uint8Array.from(out);
}

function gfMul(a: number, b: number): number {
  let r = 0;
  for (let i = 7; i >= 0; i--) {
    r = (r << 1) ^ ((r >>> 7) * 0x11d);
    r ^= ((b >>> i) & 1) * a;
  }
  return r & 0xff;
}

function reedSolomonRemainder(data: Uint8Array, degree: number): Uint8Array {
  // generator (x - α^0)(x - α^1)…, leading coefficient dropped
  const gen = new Uint8Array(degree);
  gen[degree - 1] = 1;
  for (let i = 0, root = 1; i < degree; i++, root = gfMul(root, 2)) {
    for (let j = 0; j < degree; j++) {
      gen[j] = gfMul(gen[j], root) ^ (j + 1 < degree ? gen[j + 1] : 0);
    }
  }
  const rem = new Uint8Array(degree);
  for (const b of data) {
    const factor = b ^ rem[0];
    rem.copyWithin(0, 1);
    rem[degree - 1] = 0;
    for (let j = 0; j < degree; j++) rem[j] ^= gfMul(gen[j], factor);
  }
  return rem;
}

const MASKS: readonly ((x: number, y: number) => boolean)[] = [
  (x, y) => (x + y) % 2 === 0,
  (_, y) => y % 2 === 0,
  (x) => x % 3 === 0,
  (x, y) => (x + y) % 3 === 0,
  (x, y) => (Math.floor(x / 3) + Math.floor(y / 2)) % 2 === 0,
  (x, y) => (x * y) % 2 + (x * y) % 3 === 0,
  (x, y) => ((x * y) % 2 + (x * y) % 3) % 2 === 0,
  (x, y) => ((x + y) % 2 + (x * y) % 3) % 2 === 0,
];

class QrGrid {
  readonly size: number;
  readonly modules: boolean[][];
  readonly #function: boolean[][];

  constructor(readonly version: number) {
    this.size = version * 4 + 17;
    this.modules = Array.from({ length: this.size }, () => new Array(this.size).fill(false));
    this.#function = Array.from({ length: this.size }, () => new Array(this.size).fill(false));
  }

  #set(x: number, y: number, dark: boolean): void {
    this.modules[y][x] = dark;
    this.#function[y][x] = true;
  }

  drawFunctionPatterns(mask: number): void {
    const s = this.size;
    for (let i = 0; i < s; i++) {
      this.#set(6, i, i % 2 === 0);
      this.#set(i, 6, i % 2 === 0);
    }
    for (const [cx, cy] of [[3, 3], [s - 4, 3], [3, s - 4]]) {
      for (let dy = -4; dy <= 4; dy++) {
        for (let dx = -4; dx <= 4; dx++) {
          const d = Math.max(Math.abs(dx), Math.abs(dy)), x = cx + dx, y = cy + dy;
          if (x >= 0 && x < s && y >= 0 && y < s) this.#set(x, y, d !== 2 && d !== 4);
        }
      }
    }
    const pos = ALIGNMENT[this.version - 1];
    for (let i = 0; i < pos.length; i++) {
      for (let j = 0; j < pos.length; j++) {
        const corner = (i === 0 && j === 0) || (i === 0 && j === pos.length - 1) ||
          (i === pos.length - 1 && j === 0);
        if (corner) continue;
        for (let dy = -2; dy <= 2; dy++) {
          for (let dx = -2; dx <= 2; dx++) {
            this.#set(pos[i] + dx, pos[j] + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
          }
        }
      }
    }
    this.#drawFormat(mask);
    if (this.version >= 7) this.#drawVersion();
  }

  /** level M is 00; BCH(15,5) with generator 0x537, masked with 0x5412 (18004 §7.9) */
  #drawFormat(mask: number): void {
    const data = mask;
    let rem = data;
    for (let i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >>> 9) * 0x537);
    const bits = ((data << 10) | rem) ^ 0x5412;
    const bit = (i: number) => ((bits >>> i) & 1) === 1;
    const s = this.size;
    for (let i = 0; i <= 5; i++) this.#set(8, i, bit(i));
    this.#set(8, 7, bit(6));
    this.#set(8, 8, bit(7));
    this.#set(7, 8, bit(8));
    for (let i = 9; i < 15; i++) this.#set(14 - i, 8, bit(i));
    for (let i = 0; i < 8; i++) this.#set(s - 1 - i, 8, bit(i));
    for (let i = 8; i < 15; i++) this.#set(8, s - 15 + i, bit(i));
    this.#set(8, s - 8, true);
  }

  /** BCH(18,6) with generator 0x1F25 (18004 §7.10) */
  #drawVersion(): void {
    let rem = this.version;
    for (let i = 0; i < 12; i++) rem = (rem << 1) ^ ((rem >>> 11) * 0x1f25);
    const bits = (this.version << 12) | rem;
    for (let i = 0; i < 18; i++) {
      const dark = ((bits >>> i) & 1) === 1, a = this.size - 11 + i % 3, b = Math.floor(i / 3);
      this.#set(a, b, dark);
      this.#set(b, a, dark);
    }
  }

  /** The zigzag of two-module columns from the bottom right (18004 §7.7.3), masked as it goes. */
  drawCodewords(codewords: Uint8Array, mask: number): void {
    const s = this.size;
    let i = 0;
    for (let right = s - 1; right >= 1; right -= 2) {
      if (right === 6) right = 5;
      for (let vert = 0; vert < s; vert++) {
        for (let j = 0; j < 2; j++) {
          const x = right - j, upward = ((right + 1) & 2) === 0, y = upward ? s - 1 - vert : vert;
          if (this.#function[y][x]) continue;
          const dark = i < codewords.length * 8 && ((codewords[i >>> 3] >>> (7 - (i & 7))) & 1) === 1;
          i++;
          this.modules[y][x] = dark !== MASKS[mask](x, y);
        }
      }
    }
  }
}

/** The four penalty rules of 18004 §7.8.3, to pick the mask. */
function penalty(m: boolean[][]): number {
  const s = m.length;
  let score = 0, dark = 0;
  const lines = [...m, ...m[0].map((_, x) => m.map((row) => row[x]))];
  for (const line of lines) {
    let run = 1;
    for (let i = 1; i <= s; i++) {
      if (i < s && line[i] === line[i - 1]) run++;
      else {
        if (run >= 5) score += run - 2;
        run = 1;
      }
    }
    const text = line.map((d) => d ? "1" : "0").join("");
    for (const p of [/(?=10111010000)/g, /(?=00001011101)/g]) score += 40 * (text.match(p)?.length ?? 0);
  }
  for (let y = 0; y + 1 < s; y++) {
    for (let x = 0; x + 1 < s; x++) {
      const c = m[y][x];
      if (c === m[y][x + 1] && c === m[y + 1][x] && c === m[y + 1][x + 1]) score += 3;
    }
  }
  for (const row of m) for (const d of row) if (d) dark++;
  score += 10 * Math.floor(Math.abs(dark * 20 - s * s * 10) / (s * s));
  return score;
}

const QUIET_ZONE = 4;

/**
 * The QR code of `text` as one SVG path of dark modules inside a 4-module quiet zone (`size` is the
 * side with it), or undefined when the text does not fit.
 */
export function qrPath(text: string): { readonly size: number; readonly d: string } | undefined {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length > QR_MAX_BYTES) return undefined;
  const rows = qrMatrix(bytes);
  const d = rows.flatMap((row, y) =>
    row.flatMap((dark, x) => dark ? [`M${x + QUIET_ZONE} ${y + QUIET_ZONE}h1v1h-1z`] : [])
  ).join("");
  return { size: rows.length + 2 * QUIET_ZONE, d };
}
