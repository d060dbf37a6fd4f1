// Byte-order helpers shared by the weight-file readers and writers, with no file
// access (so the parsers that use them also run in browsers).

/** True on little-endian hosts: float data in files can then be viewed in place. */
export const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Byte view of a Float32Array in little-endian order (a view on LE hosts, a copy otherwise). */
export function float32LittleEndianBytes(data: Float32Array): Uint8Array {
  if (HOST_IS_LITTLE_ENDIAN) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const bytes = new Uint8Array(data.byteLength);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i]!, true);
  return bytes;
}

/** Byte view of a Uint16Array in little-endian order (a view on LE hosts, a copy otherwise). */
export function uint16LittleEndianBytes(data: Uint16Array): Uint8Array {
  if (HOST_IS_LITTLE_ENDIAN) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const bytes = new Uint8Array(data.byteLength);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < data.length; i++) view.setUint16(i * 2, data[i]!, true);
  return bytes;
}
