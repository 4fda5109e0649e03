/**
 * Salsa20 keystream XOR, HSalsa20 and Poly1305 for the SimpleX secret box (../_secretbox.ts),
 * in AssemblyScript compiled to WebAssembly by build.ts.
 *
 * The module holds no per-stream state: every call reads the key, nonce, counter or Poly1305
 * accumulator that the caller has just written into `state` and writes the accumulator back there,
 * so interleaved streams cannot see each other. `data` is the one scratch buffer for message bytes.
 *
 * Layout of `state` (little-endian words):
 *   [0, 32)    Salsa20 / HSalsa20 key
 *   [32, 48)   HSalsa20 input
 *   [48, 56)   Salsa20 nonce (the last 8 bytes of the XSalsa20 nonce)
 *   [64, 96)   HSalsa20 output
 *   [96, 116)  Poly1305 r in five 26-bit limbs
 *   [116, 136) Poly1305 h in five 26-bit limbs
 *   [136, 152) Poly1305 s, the second key half
 *   [152, 168) Poly1305 tag
 */

export const DATA_LENGTH: i32 = 65536;

const STATE = memory.data(256, 16);
const DATA = memory.data(DATA_LENGTH, 16);

const KEY = STATE;
const HSALSA_INPUT = STATE + 32;
const NONCE = STATE + 48;
const HSALSA_OUTPUT = STATE + 64;
const POLY_R = STATE + 96;
const POLY_H = STATE + 116;
const POLY_S = STATE + 136;
const POLY_TAG = STATE + 152;

// "expand 32-byte k"
const SIGMA0: u32 = 0x61707865;
const SIGMA1: u32 = 0x3320646e;
const SIGMA2: u32 = 0x79622d32;
const SIGMA3: u32 = 0x6b206574;

export function statePtr(): usize {
  return STATE;
}

export function dataPtr(): usize {
  return DATA;
}

/** HSalsa20(key, input) → output: the Salsa20 rounds without the final addition, words 0,5,10,15,6..9. */
export function hsalsa(): void {
  let x0 = SIGMA0, x5 = SIGMA1, x10 = SIGMA2, x15 = SIGMA3;
  let x1 = load<u32>(KEY), x2 = load<u32>(KEY, 4), x3 = load<u32>(KEY, 8), x4 = load<u32>(KEY, 12);
  let x11 = load<u32>(KEY, 16), x12 = load<u32>(KEY, 20), x13 = load<u32>(KEY, 24), x14 = load<u32>(KEY, 28);
  let x6 = load<u32>(HSALSA_INPUT), x7 = load<u32>(HSALSA_INPUT, 4);
  let x8 = load<u32>(HSALSA_INPUT, 8), x9 = load<u32>(HSALSA_INPUT, 12);
  for (let i = 0; i < 10; i++) {
    // column round
    x4 ^= rotl<u32>(x0 + x12, 7);
    x8 ^= rotl<u32>(x4 + x0, 9);
    x12 ^= rotl<u32>(x8 + x4, 13);
    x0 ^= rotl<u32>(x12 + x8, 18);
    x9 ^= rotl<u32>(x5 + x1, 7);
    x13 ^= rotl<u32>(x9 + x5, 9);
    x1 ^= rotl<u32>(x13 + x9, 13);
    x5 ^= rotl<u32>(x1 + x13, 18);
    x14 ^= rotl<u32>(x10 + x6, 7);
    x2 ^= rotl<u32>(x14 + x10, 9);
    x6 ^= rotl<u32>(x2 + x14, 13);
    x10 ^= rotl<u32>(x6 + x2, 18);
    x3 ^= rotl<u32>(x15 + x11, 7);
    x7 ^= rotl<u32>(x3 + x15, 9);
    x11 ^= rotl<u32>(x7 + x3, 13);
    x15 ^= rotl<u32>(x11 + x7, 18);
    // row round
    x1 ^= rotl<u32>(x0 + x3, 7);
    x2 ^= rotl<u32>(x1 + x0, 9);
    x3 ^= rotl<u32>(x2 + x1, 13);
    x0 ^= rotl<u32>(x3 + x2, 18);
    x6 ^= rotl<u32>(x5 + x4, 7);
    x7 ^= rotl<u32>(x6 + x5, 9);
    x4 ^= rotl<u32>(x7 + x6, 13);
    x5 ^= rotl<u32>(x4 + x7, 18);
    x11 ^= rotl<u32>(x10 + x9, 7);
    x8 ^= rotl<u32>(x11 + x10, 9);
    x9 ^= rotl<u32>(x8 + x11, 13);
    x10 ^= rotl<u32>(x9 + x8, 18);
    x12 ^= rotl<u32>(x15 + x14, 7);
    x13 ^= rotl<u32>(x12 + x15, 9);
    x14 ^= rotl<u32>(x13 + x12, 13);
    x15 ^= rotl<u32>(x14 + x13, 18);
  }
  store<u32>(HSALSA_OUTPUT, x0);
  store<u32>(HSALSA_OUTPUT, x5, 4);
  store<u32>(HSALSA_OUTPUT, x10, 8);
  store<u32>(HSALSA_OUTPUT, x15, 12);
  store<u32>(HSALSA_OUTPUT, x6, 16);
  store<u32>(HSALSA_OUTPUT, x7, 20);
  store<u32>(HSALSA_OUTPUT, x8, 24);
  store<u32>(HSALSA_OUTPUT, x9, 28);
}

/**
 * XORs the Salsa20 keystream from block `counter` (a 64-bit block number as two halves) into
 * data[0, length). A partial last block uses the start of its keystream block.
 */
export function salsaXor(length: i32, counterLo: u32, counterHi: u32): void {
  let counter = (<u64> counterHi << 32) | <u64> counterLo;
  let p = DATA;
  const end = DATA + <usize> length;
  while (end - p >= 256) {
    salsaXor4(p, counter);
    p += 256;
    counter += 4;
  }
  while (p < end) {
    const n = min<usize>(64, end - p);
    salsaXor1(p, n, counter);
    p += 64;
    counter += 1;
  }
}

function rotv(v: v128, n: i32): v128 {
  return v128.or(i32x4.shl(v, n), i32x4.shr_u(v, 32 - n));
}

/** Four lanes of word `w` of the four blocks, transposed back to block order and XORed into `p`. */

function xorColumns(p: usize, a: v128, b: v128, c: v128, d: v128): void {
  const t0 = i32x4.shuffle(a, b, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(a, b, 2, 6, 3, 7);
  const t2 = i32x4.shuffle(c, d, 0, 4, 1, 5);
  const t3 = i32x4.shuffle(c, d, 2, 6, 3, 7);
  v128.store(p, v128.xor(v128.load(p), i32x4.shuffle(t0, t2, 0, 1, 4, 5)));
  v128.store(p, v128.xor(v128.load(p, 64), i32x4.shuffle(t0, t2, 2, 3, 6, 7)), 64);
  v128.store(p, v128.xor(v128.load(p, 128), i32x4.shuffle(t1, t3, 0, 1, 4, 5)), 128);
  v128.store(p, v128.xor(v128.load(p, 192), i32x4.shuffle(t1, t3, 2, 3, 6, 7)), 192);
}

/** Four consecutive blocks at once, one block per SIMD lane. */
function salsaXor4(p: usize, counter: u64): void {
  const j0 = i32x4.splat(SIGMA0), j5 = i32x4.splat(SIGMA1), j10 = i32x4.splat(SIGMA2);
  const j15 = i32x4.splat(SIGMA3);
  const j1 = i32x4.splat(load<u32>(KEY)), j2 = i32x4.splat(load<u32>(KEY, 4));
  const j3 = i32x4.splat(load<u32>(KEY, 8)), j4 = i32x4.splat(load<u32>(KEY, 12));
  const j11 = i32x4.splat(load<u32>(KEY, 16)), j12 = i32x4.splat(load<u32>(KEY, 20));
  const j13 = i32x4.splat(load<u32>(KEY, 24)), j14 = i32x4.splat(load<u32>(KEY, 28));
  const j6 = i32x4.splat(load<u32>(NONCE)), j7 = i32x4.splat(load<u32>(NONCE, 4));
  const c1 = counter + 1, c2 = counter + 2, c3 = counter + 3;
  let j8 = i32x4.splat(<i32> counter);
  j8 = i32x4.replace_lane(j8, 1, <i32> c1);
  j8 = i32x4.replace_lane(j8, 2, <i32> c2);
  j8 = i32x4.replace_lane(j8, 3, <i32> c3);
  let j9 = i32x4.splat(<i32> (counter >> 32));
  j9 = i32x4.replace_lane(j9, 1, <i32> (c1 >> 32));
  j9 = i32x4.replace_lane(j9, 2, <i32> (c2 >> 32));
  j9 = i32x4.replace_lane(j9, 3, <i32> (c3 >> 32));
  let x0 = j0, x1 = j1, x2 = j2, x3 = j3, x4 = j4, x5 = j5, x6 = j6, x7 = j7;
  let x8 = j8, x9 = j9, x10 = j10, x11 = j11, x12 = j12, x13 = j13, x14 = j14, x15 = j15;
  for (let i = 0; i < 10; i++) {
    // column round
    x4 = v128.xor(x4, rotv(i32x4.add(x0, x12), 7));
    x8 = v128.xor(x8, rotv(i32x4.add(x4, x0), 9));
    x12 = v128.xor(x12, rotv(i32x4.add(x8, x4), 13));
    x0 = v128.xor(x0, rotv(i32x4.add(x12, x8), 18));
    x9 = v128.xor(x9, rotv(i32x4.add(x5, x1), 7));
    x13 = v128.xor(x13, rotv(i32x4.add(x9, x5), 9));
    x1 = v128.xor(x1, rotv(i32x4.add(x13, x9), 13));
    x5 = v128.xor(x5, rotv(i32x4.add(x1, x13), 18));
    x14 = v128.xor(x14, rotv(i32x4.add(x10, x6), 7));
    x2 = v128.xor(x2, rotv(i32x4.add(x14, x10), 9));
    x6 = v128.xor(x6, rotv(i32x4.add(x2, x14), 13));
    x10 = v128.xor(x10, rotv(i32x4.add(x6, x2), 18));
    x3 = v128.xor(x3, rotv(i32x4.add(x15, x11), 7));
    x7 = v128.xor(x7, rotv(i32x4.add(x3, x15), 9));
    x11 = v128.xor(x11, rotv(i32x4.add(x7, x3), 13));
    x15 = v128.xor(x15, rotv(i32x4.add(x11, x7), 18));
    // row round
    x1 = v128.xor(x1, rotv(i32x4.add(x0, x3), 7));
    x2 = v128.xor(x2, rotv(i32x4.add(x1, x0), 9));
    x3 = v128.xor(x3, rotv(i32x4.add(x2, x1), 13));
    x0 = v128.xor(x0, rotv(i32x4.add(x3, x2), 18));
    x6 = v128.xor(x6, rotv(i32x4.add(x5, x4), 7));
    x7 = v128.xor(x7, rotv(i32x4.add(x6, x5), 9));
    x4 = v128.xor(x4, rotv(i32x4.add(x7, x6), 13));
    x5 = v128.xor(x5, rotv(i32x4.add(x4, x7), 18));
    x11 = v128.xor(x11, rotv(i32x4.add(x10, x9), 7));
    x8 = v128.xor(x8, rotv(i32x4.add(x11, x10), 9));
    x9 = v128.xor(x9, rotv(i32x4.add(x8, x11), 13));
    x10 = v128.xor(x10, rotv(i32x4.add(x9, x8), 18));
    x12 = v128.xor(x12, rotv(i32x4.add(x15, x14), 7));
    x13 = v128.xor(x13, rotv(i32x4.add(x12, x15), 9));
    x14 = v128.xor(x14, rotv(i32x4.add(x13, x12), 13));
    x15 = v128.xor(x15, rotv(i32x4.add(x14, x13), 18));
  }
  xorColumns(p, i32x4.add(x0, j0), i32x4.add(x1, j1), i32x4.add(x2, j2), i32x4.add(x3, j3));
  xorColumns(p + 16, i32x4.add(x4, j4), i32x4.add(x5, j5), i32x4.add(x6, j6), i32x4.add(x7, j7));
  xorColumns(p + 32, i32x4.add(x8, j8), i32x4.add(x9, j9), i32x4.add(x10, j10), i32x4.add(x11, j11));
  xorColumns(p + 48, i32x4.add(x12, j12), i32x4.add(x13, j13), i32x4.add(x14, j14), i32x4.add(x15, j15));
}

/** One block, XORed into the first `n` bytes at `p`. */
function salsaXor1(p: usize, n: usize, counter: u64): void {
  const block = STATE + 192; // keystream of this block, 64 bytes
  store<u32>(block, SIGMA0);
  store<u32>(block, load<u32>(KEY), 4);
  store<u32>(block, load<u32>(KEY, 4), 8);
  store<u32>(block, load<u32>(KEY, 8), 12);
  store<u32>(block, load<u32>(KEY, 12), 16);
  store<u32>(block, SIGMA1, 20);
  store<u32>(block, load<u32>(NONCE), 24);
  store<u32>(block, load<u32>(NONCE, 4), 28);
  store<u64>(block, counter, 32);
  store<u32>(block, SIGMA2, 40);
  store<u32>(block, load<u32>(KEY, 16), 44);
  store<u32>(block, load<u32>(KEY, 20), 48);
  store<u32>(block, load<u32>(KEY, 24), 52);
  store<u32>(block, load<u32>(KEY, 28), 56);
  store<u32>(block, SIGMA3, 60);
  let x0 = load<u32>(block), x1 = load<u32>(block, 4), x2 = load<u32>(block, 8), x3 = load<u32>(block, 12);
  let x4 = load<u32>(block, 16), x5 = load<u32>(block, 20), x6 = load<u32>(block, 24);
  let x7 = load<u32>(block, 28), x8 = load<u32>(block, 32), x9 = load<u32>(block, 36);
  let x10 = load<u32>(block, 40), x11 = load<u32>(block, 44), x12 = load<u32>(block, 48);
  let x13 = load<u32>(block, 52), x14 = load<u32>(block, 56), x15 = load<u32>(block, 60);
  for (let i = 0; i < 10; i++) {
    // column round
    x4 ^= rotl<u32>(x0 + x12, 7);
    x8 ^= rotl<u32>(x4 + x0, 9);
    x12 ^= rotl<u32>(x8 + x4, 13);
    x0 ^= rotl<u32>(x12 + x8, 18);
    x9 ^= rotl<u32>(x5 + x1, 7);
    x13 ^= rotl<u32>(x9 + x5, 9);
    x1 ^= rotl<u32>(x13 + x9, 13);
    x5 ^= rotl<u32>(x1 + x13, 18);
    x14 ^= rotl<u32>(x10 + x6, 7);
    x2 ^= rotl<u32>(x14 + x10, 9);
    x6 ^= rotl<u32>(x2 + x14, 13);
    x10 ^= rotl<u32>(x6 + x2, 18);
    x3 ^= rotl<u32>(x15 + x11, 7);
    x7 ^= rotl<u32>(x3 + x15, 9);
    x11 ^= rotl<u32>(x7 + x3, 13);
    x15 ^= rotl<u32>(x11 + x7, 18);
    // row round
    x1 ^= rotl<u32>(x0 + x3, 7);
    x2 ^= rotl<u32>(x1 + x0, 9);
    x3 ^= rotl<u32>(x2 + x1, 13);
    x0 ^= rotl<u32>(x3 + x2, 18);
    x6 ^= rotl<u32>(x5 + x4, 7);
    x7 ^= rotl<u32>(x6 + x5, 9);
    x4 ^= rotl<u32>(x7 + x6, 13);
    x5 ^= rotl<u32>(x4 + x7, 18);
    x11 ^= rotl<u32>(x10 + x9, 7);
    x8 ^= rotl<u32>(x11 + x10, 9);
    x9 ^= rotl<u32>(x8 + x11, 13);
    x10 ^= rotl<u32>(x9 + x8, 18);
    x12 ^= rotl<u32>(x15 + x14, 7);
    x13 ^= rotl<u32>(x12 + x15, 9);
    x14 ^= rotl<u32>(x13 + x12, 13);
    x15 ^= rotl<u32>(x14 + x13, 18);
  }
  store<u32>(block, x0 + load<u32>(block), 0);
  store<u32>(block, x1 + load<u32>(block, 4), 4);
  store<u32>(block, x2 + load<u32>(block, 8), 8);
  store<u32>(block, x3 + load<u32>(block, 12), 12);
  store<u32>(block, x4 + load<u32>(block, 16), 16);
  store<u32>(block, x5 + load<u32>(block, 20), 20);
  store<u32>(block, x6 + load<u32>(block, 24), 24);
  store<u32>(block, x7 + load<u32>(block, 28), 28);
  store<u32>(block, x8 + load<u32>(block, 32), 32);
  store<u32>(block, x9 + load<u32>(block, 36), 36);
  store<u32>(block, x10 + load<u32>(block, 40), 40);
  store<u32>(block, x11 + load<u32>(block, 44), 44);
  store<u32>(block, x12 + load<u32>(block, 48), 48);
  store<u32>(block, x13 + load<u32>(block, 52), 52);
  store<u32>(block, x14 + load<u32>(block, 56), 56);
  store<u32>(block, x15 + load<u32>(block, 60), 60);
  for (let i: usize = 0; i < n; i++) store<u8>(p + i, load<u8>(p + i) ^ load<u8>(block + i));
  memory.fill(block, 0, 64);
}

/** Clamps the 16-byte Poly1305 r at `key` into five 26-bit limbs and zeroes h. */
export function polyInit(): void {
  store<u32>(POLY_R, load<u32>(KEY) & 0x3ffffff);
  store<u32>(POLY_R, (load<u32>(KEY, 3) >> 2) & 0x3ffff03, 4);
  store<u32>(POLY_R, (load<u32>(KEY, 6) >> 4) & 0x3ffc0ff, 8);
  store<u32>(POLY_R, (load<u32>(KEY, 9) >> 6) & 0x3f03fff, 12);
  store<u32>(POLY_R, (load<u32>(KEY, 12) >> 8) & 0x00fffff, 16);
  memory.fill(POLY_H, 0, 20);
  memory.copy(POLY_S, KEY + 16, 16);
}

/**
 * h = (h + m)·r mod 2^130 − 5 for each 16-byte block of data[0, length) (RFC 8439 §2.5.1);
 * `hibit` is 1 for full blocks and 0 for the padded last one. Products of 26-bit limbs and
 * 5·r < 2^29 are below 2^55, so a column of five fits in a u64.
 */
export function polyBlocks(length: i32, hibit: u32): void {
  const r0 = <u64> load<u32>(POLY_R), r1 = <u64> load<u32>(POLY_R, 4), r2 = <u64> load<u32>(POLY_R, 8);
  const r3 = <u64> load<u32>(POLY_R, 12), r4 = <u64> load<u32>(POLY_R, 16);
  const s1 = r1 * 5, s2 = r2 * 5, s3 = r3 * 5, s4 = r4 * 5;
  let h0 = <u64> load<u32>(POLY_H), h1 = <u64> load<u32>(POLY_H, 4), h2 = <u64> load<u32>(POLY_H, 8);
  let h3 = <u64> load<u32>(POLY_H, 12), h4 = <u64> load<u32>(POLY_H, 16);
  const top = <u64> (hibit << 24);
  const end = DATA + <usize> length;
  for (let m = DATA; m < end; m += 16) {
    h0 += <u64> (load<u32>(m) & 0x3ffffff);
    h1 += <u64> ((load<u32>(m, 3) >> 2) & 0x3ffffff);
    h2 += <u64> ((load<u32>(m, 6) >> 4) & 0x3ffffff);
    h3 += <u64> ((load<u32>(m, 9) >> 6) & 0x3ffffff);
    h4 += <u64> (load<u32>(m, 12) >> 8) | top;
    const d0 = h0 * r0 + h1 * s4 + h2 * s3 + h3 * s2 + h4 * s1;
    let d1 = h0 * r1 + h1 * r0 + h2 * s4 + h3 * s3 + h4 * s2;
    let d2 = h0 * r2 + h1 * r1 + h2 * r0 + h3 * s4 + h4 * s3;
    let d3 = h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0 + h4 * s4;
    let d4 = h0 * r4 + h1 * r3 + h2 * r2 + h3 * r1 + h4 * r0;
    d1 += d0 >> 26;
    h0 = d0 & 0x3ffffff;
    d2 += d1 >> 26;
    h1 = d1 & 0x3ffffff;
    d3 += d2 >> 26;
    h2 = d2 & 0x3ffffff;
    d4 += d3 >> 26;
    h3 = d3 & 0x3ffffff;
    h0 += (d4 >> 26) * 5; // 2^130 ≡ 5
    h4 = d4 & 0x3ffffff;
    h1 += h0 >> 26;
    h0 &= 0x3ffffff;
  }
  store<u32>(POLY_H, <u32> h0);
  store<u32>(POLY_H, <u32> h1, 4);
  store<u32>(POLY_H, <u32> h2, 8);
  store<u32>(POLY_H, <u32> h3, 12);
  store<u32>(POLY_H, <u32> h4, 16);
}

/** tag = (h mod 2^130 − 5) + s mod 2^128, with the final reduction done in constant time. */
export function polyFinish(): void {
  let h0 = load<u32>(POLY_H), h1 = load<u32>(POLY_H, 4), h2 = load<u32>(POLY_H, 8);
  let h3 = load<u32>(POLY_H, 12), h4 = load<u32>(POLY_H, 16);
  let c = h1 >> 26;
  h1 &= 0x3ffffff;
  h2 += c;
  c = h2 >> 26;
  h2 &= 0x3ffffff;
  h3 += c;
  c = h3 >> 26;
  h3 &= 0x3ffffff;
  h4 += c;
  c = h4 >> 26;
  h4 &= 0x3ffffff;
  h0 += c * 5;
  c = h0 >> 26;
  h0 &= 0x3ffffff;
  h1 += c;
  // g = h + 5 − 2^130: taken when it does not borrow, i.e. when h ≥ p
  let g0 = h0 + 5;
  c = g0 >> 26;
  g0 &= 0x3ffffff;
  let g1 = h1 + c;
  c = g1 >> 26;
  g1 &= 0x3ffffff;
  let g2 = h2 + c;
  c = g2 >> 26;
  g2 &= 0x3ffffff;
  let g3 = h3 + c;
  c = g3 >> 26;
  g3 &= 0x3ffffff;
  const g4 = h4 + c - (1 << 26);
  const keepG = (g4 >> 31) - 1; // all ones when g4 did not go negative
  const keepH = ~keepG;
  h0 = (h0 & keepH) | (g0 & keepG);
  h1 = (h1 & keepH) | (g1 & keepG);
  h2 = (h2 & keepH) | (g2 & keepG);
  h3 = (h3 & keepH) | (g3 & keepG);
  h4 = (h4 & keepH) | (g4 & keepG);
  const w0 = h0 | (h1 << 26);
  const w1 = (h1 >> 6) | (h2 << 20);
  const w2 = (h2 >> 12) | (h3 << 14);
  const w3 = (h3 >> 18) | (h4 << 8);
  let f = <u64> w0 + <u64> load<u32>(POLY_S);
  store<u32>(POLY_TAG, <u32> f);
  f = <u64> w1 + <u64> load<u32>(POLY_S, 4) + (f >> 32);
  store<u32>(POLY_TAG, <u32> f, 4);
  f = <u64> w2 + <u64> load<u32>(POLY_S, 8) + (f >> 32);
  store<u32>(POLY_TAG, <u32> f, 8);
  f = <u64> w3 + <u64> load<u32>(POLY_S, 12) + (f >> 32);
  store<u32>(POLY_TAG, <u32> f, 12);
}
