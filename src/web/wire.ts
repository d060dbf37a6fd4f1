// An inspection on the wire between the inspector server and its page: one
// binary message — "LMSI", the byte length of a JSON header (u32, little-endian),
// the header (everything but the attention maps, with their shapes), zero padding
// to a multiple of 4, then each attention map's float32 values (little-endian) in
// order. Shipping the maps as JSON numbers would take ~5× the bytes and the
// parsing time; a 512-token prompt on 5 layers × 8 heads is 42 MB of floats.
// Runs in Node and in browsers.

import type { PromptInspection } from "../inspect/prompt-inspection.js";

const MAGIC = [0x4c, 0x4d, 0x53, 0x49]; // "LMSI"

interface Header extends Omit<PromptInspection, "attentions"> {
  readonly attentionShapes: (readonly number[])[];
}

export function encodeInspection(inspection: PromptInspection): Uint8Array {
  const { attentions, ...rest } = inspection;
  const header: Header = { ...rest, attentionShapes: attentions.map((a) => a.shape) };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = align4(8 + json.length);
  const floats = attentions.reduce((n, a) => n + a.data.length, 0);
  const bytes = new Uint8Array(dataStart + 4 * floats);
  bytes.set(MAGIC, 0);
  new DataView(bytes.buffer).setUint32(4, json.length, true);
  bytes.set(json, 8);
  let at = dataStart;
  const view = new DataView(bytes.buffer);
  for (const { data } of attentions) {
    for (let i = 0; i < data.length; i++) view.setFloat32(at + 4 * i, data[i]!, true);
    at += 4 * data.length;
  }
  return bytes;
}

export function decodeInspection(buffer: ArrayBuffer): PromptInspection {
  const bytes = new Uint8Array(buffer);
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) throw new Error("the server's answer is not an inspection (wrong magic)");
  const view = new DataView(buffer);
  const jsonLength = view.getUint32(4, true);
  if (8 + jsonLength > bytes.length) throw new Error("the server's answer is truncated (header)");
  const { attentionShapes, ...rest } = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + jsonLength))) as Header;
  let at = align4(8 + jsonLength);
  const attentions = attentionShapes.map((shape) => {
    const length = shape.reduce((a, b) => a * b, 1);
    if (at + 4 * length > bytes.length) throw new Error("the server's answer is truncated (attention maps)");
    const data = new Float32Array(length);
    for (let i = 0; i < length; i++) data[i] = view.getFloat32(at + 4 * i, true);
    at += 4 * length;
    return { data, shape };
  });
  return { ...rest, attentions };
}

function align4(n: number): number {
  return (n + 3) & ~3;
}
