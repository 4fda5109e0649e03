import assert from "node:assert/strict";
import { concatBytes } from "../encoding/bytes.ts";
import { Http2Error, Http2ErrorCode } from "./errors.ts";
import {
  Flag,
  frame,
  FrameReader,
  FrameType,
  headersFragment,
  parseSettings,
  settingsFrame,
} from "./frame.ts";

/** The reader's events, DATA content joined per frame, so that any split of the input reads the same. */
function read(chunks: Uint8Array[], maxFrameSize?: number): string[] {
  const events: string[] = [];
  let content: number[] = [];
  const reader = new FrameReader({
    frame: (type, flags, id, payload) => events.push(`frame ${type} ${flags} ${id} [${payload}]`),
    dataStart: (id, length) => {
      events.push(`data ${id} ${length}`);
      content = [];
    },
    data: (_, piece) => content.push(...piece),
    dataEnd: (id, flags) => events.push(`end ${id} ${flags} [${content}]`),
  }, maxFrameSize);
  for (const c of chunks) reader.push(c);
  return events;
}

const padded = (pad: number, content: number[]) =>
  frame(
    FrameType.DATA,
    Flag.PADDED | Flag.END_STREAM,
    3,
    Uint8Array.from([pad, ...content, ...new Array(pad).fill(0)]),
  );

const stream = concatBytes(
  settingsFrame([[4, 1 << 20], [5, 16384]]),
  frame(FrameType.HEADERS, Flag.END_HEADERS, 1, Uint8Array.of(0x88)),
  frame(FrameType.DATA, 0, 1, Uint8Array.of(1, 2, 3, 4, 5)),
  frame(FrameType.DATA, Flag.END_STREAM, 1),
  padded(4, [9, 8, 7]),
  frame(FrameType.PING, 0, 0, new Uint8Array(8)),
);

Deno.test("frames read the same however the stream is split", () => {
  const whole = read([stream]);
  assert.deepEqual(whole, [
    "frame 4 0 0 [0,4,0,16,0,0,0,5,0,0,64,0]",
    "frame 1 4 1 [136]",
    "data 1 5",
    "end 1 0 [1,2,3,4,5]",
    "data 1 0",
    "end 1 1 []",
    "data 3 8",
    "end 3 9 [9,8,7]",
    "frame 6 0 0 [0,0,0,0,0,0,0,0]",
  ]);
  for (let a = 0; a <= stream.length; a++) {
    for (let b = a; b <= stream.length; b += 7) {
      assert.deepEqual(read([stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)]), whole);
    }
  }
  assert.deepEqual(read([...stream].map((b) => Uint8Array.of(b))), whole);
});

Deno.test("a frame over the advertised size, or padding longer than the frame, is refused", () => {
  const code = (e: unknown) => e instanceof Http2Error ? e.code : -1;
  assert.throws(
    () => read([frame(FrameType.DATA, 0, 1, new Uint8Array(16385))]),
    (e) => code(e) === Http2ErrorCode.FRAME_SIZE_ERROR,
  );
  assert.equal(read([frame(FrameType.DATA, 0, 1, new Uint8Array(16385))], 1 << 20).length, 2);
  assert.throws(
    () => read([frame(FrameType.DATA, Flag.PADDED, 1, Uint8Array.of(9, 1))]),
    (e) => code(e) === Http2ErrorCode.PROTOCOL_ERROR,
  );
  assert.throws(
    () => read([frame(FrameType.DATA, Flag.PADDED, 1)]),
    (e) => code(e) === Http2ErrorCode.FRAME_SIZE_ERROR,
  );
  assert.throws(() => parseSettings(new Uint8Array(7)), (e) => code(e) === Http2ErrorCode.FRAME_SIZE_ERROR);
});

Deno.test("a HEADERS fragment comes without its padding and priority fields", () => {
  const payload = Uint8Array.of(2, 0, 0, 0, 1, 16, 0x88, 0x82, 0, 0);
  assert.deepEqual(headersFragment(Flag.PADDED | Flag.PRIORITY, payload), Uint8Array.of(0x88, 0x82));
  assert.deepEqual(headersFragment(0, Uint8Array.of(0x88)), Uint8Array.of(0x88));
  assert.throws(() => headersFragment(Flag.PADDED, Uint8Array.of(5, 0x88)), Http2Error);
});
