// tRPC's subscriptions (the agents' config streams, SSE) pipe every event
// through the global TextEncoderStream. Node 20's implementation builds each
// chunk again one UTF-16 code unit at a time (`finalChunk += item`) to find
// surrogate pairs split across chunks: for a 1 MB cluster config that is a
// million-piece string per stream per change. In bench:sync's manager
// profile it was the largest single cost of the fan-out (TextEncoderStream's
// transform and the garbage it leaves: about half of the samples between a
// write and the last agent's snapshot). This one encodes each chunk whole
// and carries only a trailing high surrogate over to the next chunk — the
// same bytes (WHATWG "encode and enqueue a chunk": a lone surrogate becomes
// U+FFFD, which TextEncoder.encode does itself).

import { enableFrameSwap, takeFrame } from "./sse-frames.ts";

const REPLACEMENT = new Uint8Array([0xef, 0xbf, 0xbd]);
const isHighSurrogate = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;

/** A TextEncoderStream that encodes each chunk with one TextEncoder.encode call. */
export class WholeChunkTextEncoderStream {
  readonly encoding = "utf-8";
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<string>;

  constructor() {
    const encoder = new TextEncoder();
    let pending = "";
    const { readable, writable } = new TransformStream<string, Uint8Array>({
      transform(chunk, controller) {
        const frame = typeof chunk === "string" ? takeFrame(chunk) : undefined;
        if (frame) {
          // A prebuilt config event line (sse-frames.ts): sent as is, after whatever text came before it.
          if (pending) controller.enqueue(REPLACEMENT.slice());
          pending = "";
          for (const bytes of frame) controller.enqueue(bytes);
          return;
        }
        let text = pending + String(chunk);
        pending = "";
        if (text.length > 0 && isHighSurrogate(text.charCodeAt(text.length - 1))) {
          pending = text.slice(-1);
          text = text.slice(0, -1);
        }
        if (text.length > 0) controller.enqueue(encoder.encode(text));
      },
      flush(controller) {
        if (pending) controller.enqueue(REPLACEMENT.slice());
      },
    });
    this.readable = readable;
    this.writable = writable;
  }
}

/**
 * Replaces the process's TextEncoderStream with {@link WholeChunkTextEncoderStream}
 * (idempotent). The manager calls it before serving: tRPC reaches the class through the global.
 */
export function installWholeChunkTextEncoderStream(): void {
  enableFrameSwap();
  if ((globalThis.TextEncoderStream as unknown) === WholeChunkTextEncoderStream) return;
  globalThis.TextEncoderStream = WholeChunkTextEncoderStream as unknown as typeof TextEncoderStream;
}
