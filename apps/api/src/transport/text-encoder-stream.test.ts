import { describe, expect, it } from "vitest";
import { WholeChunkTextEncoderStream } from "./text-encoder-stream.ts";

async function encodeChunks(Stream: new () => { readable: ReadableStream<Uint8Array>; writable: WritableStream<string> }, chunks: string[]): Promise<Buffer> {
  const stream = new Stream();
  const out: Uint8Array[] = [];
  const reading = (async () => {
    for await (const bytes of stream.readable) out.push(bytes);
  })();
  const writer = stream.writable.getWriter();
  for (const c of chunks) await writer.write(c);
  await writer.close();
  await reading;
  return Buffer.concat(out);
}

describe("WholeChunkTextEncoderStream", () => {
  // Node's own TextEncoderStream is the reference: the same bytes for every split of the text.
  const cases: Record<string, string[]> = {
    ascii: ["data: {\"a\":1}\n", "\n\n"],
    "a pair split across chunks": ["snow \ud83c", "\udf28 end"],
    "a pair split with an empty chunk between": ["x\ud83c", "", "\udf28"],
    "a lone high surrogate before text": ["a\ud83c", "b"],
    "a lone low surrogate": ["a\udf28b"],
    "a high surrogate at the very end": ["tail \ud83c"],
    "multi-byte text": ["grüße ", "日本語"],
  };
  for (const [name, chunks] of Object.entries(cases)) {
    it(`encodes ${name} as Node's TextEncoderStream does`, async () => {
      expect(await encodeChunks(WholeChunkTextEncoderStream, chunks)).toEqual(await encodeChunks(TextEncoderStream, chunks));
    });
  }

  it("encodes a config-sized event (1 MB) in one piece", async () => {
    const text = `data: ${JSON.stringify({ services: Array.from({ length: 20_000 }, (_, i) => ({ name: `svc-${i}`, note: "ü" })) })}\n`;
    const bytes = await encodeChunks(WholeChunkTextEncoderStream, [text]);
    expect(bytes.toString("utf8")).toBe(text);
  });
});
